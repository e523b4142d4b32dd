"""Polite page fetching for `http.scrape`: one session, robots.txt, size limits.

Owns `PageFetcher`: a `requests.Session` with an honest User-Agent, per-request
timeouts, the shared retry rule (`http_retry`), an optional robots.txt check per host
(urllib.robotparser, fetched through the same session; its Crawl-delay is honoured),
a minimum delay between requests to the same host, and a cap on response size that is
enforced while streaming, so a huge or endless response never fills memory.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import requests
from bs4 import BeautifulSoup, UnicodeDammit

from .http_retry import HttpFailure, RetryPolicy, request_with_retries

DEFAULT_USER_AGENT = "wirework/0.1 (+https://github.com/wirework)"
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A page could not be fetched; the message names the URL and says why."""

    def __init__(self, message: str, url: str, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


class RobotsDisallowed(FetchError):
    pass


@dataclass(frozen=True)
class FetchSettings:
    timeout_s: float = 15.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_bytes: int = 5_000_000
    respect_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    delay_s: float = 0.0


@dataclass
class Page:
    url: str  # after redirects: relative links resolve against this
    status: int
    content: bytes
    encoding: str | None  # from the Content-Type header only; else the HTML decides

    def soup(self) -> BeautifulSoup:
        # html.parser: always present and deterministic (lxml is not a dependency).
        return BeautifulSoup(self.content, "html.parser", from_encoding=self.encoding)

    def text(self) -> str:
        if self.encoding:
            return self.content.decode(self.encoding, errors="replace")
        # No charset header: let the document's own <meta charset> (or sniffing) decide.
        return UnicodeDammit(self.content, is_html=True).unicode_markup or ""


class PageFetcher:
    def __init__(self, settings: FetchSettings, logger: logging.Logger,
                 cancel_event: threading.Event | None = None):
        self.settings = settings
        self.logger = logger
        self.cancel_event = cancel_event
        self.session = requests.Session()
        self.session.headers.update({
            "User-Agent": settings.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        })
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_errors: dict[str, str] = {}  # host -> why its robots.txt could not be read
        self._last_request: dict[str, float] = {}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "PageFetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------
    def get(self, url: str) -> Page:
        """Fetch a page; raises FetchError (HTTP error, too large, disallowed, unreachable)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f'"{url}" is not an http(s) URL', url)
        if self.settings.respect_robots and not self.allowed(url):
            unreadable = self._robots_errors.get(parts.netloc)
            if unreadable:
                raise RobotsDisallowed(
                    f"{unreadable}, so {url} is not fetched (an unreadable robots.txt counts as \"disallow "
                    "all\"); check that the site is reachable, or turn off respect_robots", url)
            raise RobotsDisallowed(
                f"robots.txt of {parts.scheme}://{parts.netloc} disallows {url} for user agent "
                f'"{self.settings.user_agent}"; scrape only what the site allows (turn off '
                "respect_robots only with the site owner's permission)", url)
        response = self._request(url)
        try:
            if response.status_code >= 400:
                raise FetchError(f"GET {url} answered HTTP {response.status_code} {response.reason or ''}".rstrip(),
                                 url, response.status_code)
            content = self._read_limited(response, url)
            encoding = response.encoding if "charset" in response.headers.get("Content-Type", "").lower() else None
            return Page(url=response.url or url, status=response.status_code, content=content, encoding=encoding)
        finally:
            response.close()

    def get_text(self, url: str) -> str:
        """The decoded body of a page (what code-mode users get from `fetch(url)`)."""
        return self.get(url).text()

    def allowed(self, url: str) -> bool:
        return self._robots_for(url).can_fetch(self.settings.user_agent, url)

    # -- internals ---------------------------------------------------------------------
    def _request(self, url: str) -> requests.Response:
        self._pause_for_host(url)
        try:
            return request_with_retries(
                self.session, "GET", url, policy=self.settings.policy, timeout=self.settings.timeout_s,
                cancel_event=self.cancel_event, stream=True, on_retry=self._log_retry(url),
            )
        except HttpFailure as failure:
            raise FetchError(f"GET {url} failed: {failure.reason}", url, failure.status) from None
        finally:
            self._last_request[urlsplit(url).netloc] = time.monotonic()

    def _log_retry(self, url: str):
        def log(attempt: int, why: str, delay: float) -> None:
            self.logger.warning("GET %s: %s; retry %d in %.2f s", url, why, attempt, delay)
        return log

    def _pause_for_host(self, url: str) -> None:
        netloc = urlsplit(url).netloc
        delay = self.settings.delay_s
        robots = self._robots.get(netloc)
        if robots is not None:
            crawl_delay = robots.crawl_delay(self.settings.user_agent)
            if crawl_delay:
                delay = max(delay, float(crawl_delay))
        last = self._last_request.get(netloc)
        if last is None or delay <= 0:
            return
        remaining = delay - (time.monotonic() - last)
        if remaining > 0:
            if self.cancel_event is not None:
                self.cancel_event.wait(remaining)
            else:
                time.sleep(remaining)

    def _read_limited(self, response: requests.Response, url: str) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"GET {url}: the response is {int(declared):,} bytes, more than max_bytes "
                             f"({limit:,}); raise max_bytes if this page is expected to be that large", url)
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise FetchError(f"GET {url}: the response exceeded max_bytes ({limit:,} bytes) while "
                                     "downloading; raise max_bytes if this page is expected to be that large", url)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(f"GET {url}: the download broke off ({type(exc).__name__})", url) from None
        return b"".join(chunks)

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        parser = self._robots.get(parts.netloc)
        if parser is not None:
            return parser
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            response = self._request(robots_url)
            try:
                # Same conventions as RobotFileParser.read(): 401/403 forbid everything,
                # any other 4xx (no robots.txt) allows everything.
                if response.status_code in (401, 403):
                    _decide_all(parser, allowed=False)
                elif 400 <= response.status_code < 500:
                    _decide_all(parser, allowed=True)
                else:
                    body = self._read_limited(response, robots_url)
                    parser.parse(body.decode("utf-8", errors="replace").splitlines())
            finally:
                response.close()
        except FetchError as exc:
            # Unreachable or 5xx: like urllib, assume nothing is allowed rather than guess.
            self.logger.warning("%s; treating the whole site as disallowed by robots.txt", exc)
            self._robots_errors[parts.netloc] = f"could not read robots.txt ({exc})"
            _decide_all(parser, allowed=False)
        parser.modified()
        self._robots[parts.netloc] = parser
        return parser


def _decide_all(parser: RobotFileParser, *, allowed: bool) -> None:
    """What RobotFileParser.read() does for a 401/403 (nothing allowed) or another 4xx
    (everything allowed); typeshed does not declare these two attributes."""
    if allowed:
        parser.allow_all = True  # type: ignore[attr-defined]
    else:
        parser.disallow_all = True  # type: ignore[attr-defined]
