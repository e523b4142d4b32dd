"""`http.scrape`: fetch web pages and turn them into records.

Two modes. *selectors*: fetch URLs (from the config, or from a field of each input
record), pick items with a CSS list selector and fields with per-field selectors,
optionally follow "next page" links and open each item's own page for more fields.
*code*: a Kern-style generator `def node(record)` that does its own `requests.get` and
BeautifulSoup parsing (runs unmodified); it may also call `fetch(url)`, which goes
through this node's polite fetcher (User-Agent, robots.txt, retries, size cap).

Category: "transform", not "source". A source may not have inputs (engine
validation), but scraping URLs that an upstream node produced is a core use. With no
inputs the node still runs once, on the trigger record, so it works as the first node
of a flow exactly like a source; the palette shows it with the transforms. URLs in
the config are fetched once per run whatever the inputs; with `url_field` set, each
input record's URL(s) are fetched and `keep_fields` copies its fields into its items.

Ids are stable: the sha1 of the item's URL relative to the site (`site_url`, by default
the folder of the configured start URLs, or of each input record's URL), see
`scrape_parse.item_id`. Writing a re-scrape into a store updates the same rows instead of
duplicating them, also when the site is scraped under another base URL (http → https,
a mirror host, a moved folder prefix).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import uuid4

from pydantic import Field

from .base import ConfigProblem, NodeConfig, NodeContext, NodeError, NodeType, Record
from .http_retry import RetryPolicy
from .payload_template import TemplateError, get_path
from .scrape_parse import (
    FieldSpec, base_url, common_site, extract_fields, is_absolute_url, item_id, next_page_url, selector_problem,
)
from .user_code import compile_problems, load_user_function, run_generator
from .web_fetch import DEFAULT_USER_AGENT, FetchError, FetchSettings, PageFetcher

_CODE_EXAMPLE = '''def node(record: dict):
    import time
    from uuid import uuid4
    import requests
    from bs4 import BeautifulSoup

    response = requests.get("https://example.com/news", timeout=15,
                            headers={"User-Agent": "wirework/0.1 (+https://github.com/wirework)"})
    response.raise_for_status()
    soup = BeautifulSoup(response.text, 'html')
    for link in soup.select("article h2 a"):
        yield {"id": str(uuid4()), "headline": link.get_text(strip=True), "url": link["href"]}
        time.sleep(0.5)
'''

_DEFAULT_FIELDS = [
    FieldSpec(name="title", selector="a"),
    FieldSpec(name="url", selector="a", attribute="href"),
]


class ScrapeConfig(NodeConfig):
    mode: Literal["selectors", "code"] = Field(
        default="selectors", title="Mode",
        description="selectors: CSS selectors pick items and fields. code: your own `def node(record)` generator.")
    urls: list[str] = Field(default_factory=list, title="URLs", description="Pages to scrape (selectors mode).")
    url_field: str = Field(
        default="", title="URL field of input records",
        description="Take the URL(s) from this field of each input record instead (a string or a list; "
                    'dotted paths reach into nested values, e.g. "payload.url").')
    keep_fields: list[str] = Field(
        default_factory=list, title="Keep input fields",
        description="Copy these fields of the input record into every item scraped from its URLs.")
    item_selector: str = Field(default="", title="Item selector",
                               description='CSS selector of one item in the list, e.g. "article.story".')
    fields: list[FieldSpec] = Field(default_factory=lambda: list(_DEFAULT_FIELDS), title="Fields",
                                    description="What to read from each item.")
    key_field: str = Field(
        default="url", title="Key field",
        description="The field that identifies an item (best: its URL). The record id is the sha1 of that URL "
                    "relative to the site (see Site URL); a key that is not a URL is used within its start page.")
    site_url: str = Field(
        default="", title="Site URL",
        description="The site's base URL that item URLs are taken relative to for their ids, so the same site "
                    "served elsewhere (https, a mirror, a moved folder) keeps its ids. Default: the folder of the "
                    "start URLs (code mode: the item URL's host).")
    next_selector: str = Field(default="", title="Next-page selector",
                               description='CSS selector of the "next page" link; empty: no pagination.')
    max_pages: int = Field(default=1, ge=1, le=1000, title="Max pages", description="Pages to follow per URL.")
    follow_field: str = Field(
        default="", title="Follow link field",
        description="Open the URL in this field of each item and read the article fields from that page.")
    article_fields: list[FieldSpec] = Field(
        default_factory=list, title="Article fields",
        description="Fields read from each followed page (selectors relative to the whole page).")
    skip_failed_articles: bool = Field(
        default=False, title="Skip failed article pages",
        description="Keep the item (with an `article_error`) when its page fails, instead of failing the node.")
    add_provenance: bool = Field(
        default=False, title="Add source_url and scraped_at",
        description="Record where and when each item was found. Off by default: these change between scrapes, "
                    "so a re-scraped item would count as updated (and be re-read by incremental readers).")
    max_items: int | None = Field(default=None, ge=1, title="Max items", description="Stop after this many items.")
    code: str = Field(default=_CODE_EXAMPLE, title="Code (code mode)", json_schema_extra={"format": "python"})
    timeout_s: float = Field(default=15.0, gt=0, le=300, title="Request timeout (s)", description="Per request.")
    max_retries: int = Field(default=3, ge=0, le=10, title="Request retries",
                             description="Retries on 429, 5xx, timeouts and connection errors.")
    backoff_s: float = Field(default=0.5, ge=0, le=60, title="Backoff (s)",
                             description="First retry waits about this long, doubling each time (unless Retry-After says).")
    max_backoff_s: float = Field(default=30.0, ge=0, le=600, title="Max backoff (s)")
    delay_s: float = Field(default=0.0, ge=0, le=60, title="Delay between requests (s)",
                           description="Minimum pause between requests to the same host (robots.txt Crawl-delay wins if longer).")
    respect_robots: bool = Field(default=True, title="Respect robots.txt")
    max_bytes: int = Field(default=5_000_000, ge=1024, le=500_000_000, title="Max response size (bytes)")
    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1, title="User-Agent")


class HttpScrape(NodeType):
    type = "http.scrape"
    category = "transform"
    title = "Scrape web pages"
    description = ("Fetches pages (from the config or an input field) and extracts items with CSS selectors, "
                   "or runs your own scraping generator. Item ids are the sha1 of the item's URL relative to the "
                   "site (Site URL, default: the start URLs' folder), so re-scrapes update the same records, also "
                   "under another base URL (https, a mirror, a moved folder).")
    Config = ScrapeConfig
    config: ScrapeConfig

    # -- checks before a run ----------------------------------------------------------
    def check(self) -> list[ConfigProblem]:
        c = self.config
        site_problems = ([ConfigProblem(f'site URL "{c.site_url}" is not an absolute http(s) URL', field="site_url")]
                         if c.site_url and not is_absolute_url(c.site_url) else [])
        if c.mode == "code":
            return site_problems + compile_problems(c.code, self.node_id)
        problems: list[ConfigProblem] = site_problems
        if not c.urls and not c.url_field:
            problems.append(ConfigProblem("give at least one URL, or the input field that holds URLs", field="urls"))
        for url in c.urls:
            if not is_absolute_url(url):
                problems.append(ConfigProblem(f'"{url}" is not an absolute http(s) URL', field="urls"))
        if not c.item_selector:
            problems.append(ConfigProblem("the item selector is required in selectors mode", field="item_selector"))
        selectors = [("item_selector", c.item_selector), ("next_selector", c.next_selector)]
        selectors += [("fields", f.selector) for f in c.fields] + [("article_fields", f.selector) for f in c.article_fields]
        for field, selector in selectors:
            problem = selector and selector_problem(selector)
            if problem:
                problems.append(ConfigProblem(problem, field=field))
        names = [f.name for f in c.fields]
        if len(set(names)) != len(names):
            problems.append(ConfigProblem("two fields share a name", field="fields"))
        if c.key_field and c.key_field not in names:
            problems.append(ConfigProblem(f'the key field "{c.key_field}" is not one of the fields ({", ".join(names)})',
                                          field="key_field"))
        if c.follow_field and c.follow_field not in names:
            problems.append(ConfigProblem(f'the follow field "{c.follow_field}" is not one of the fields',
                                          field="follow_field"))
        if c.article_fields and not c.follow_field:
            problems.append(ConfigProblem("article fields need a follow link field", field="follow_field"))
        return problems

    # -- running --------------------------------------------------------------------------
    def _fetcher(self, ctx: NodeContext) -> PageFetcher:
        c = self.config
        settings = FetchSettings(
            timeout_s=c.timeout_s, max_bytes=c.max_bytes, respect_robots=c.respect_robots,
            user_agent=c.user_agent, delay_s=c.delay_s,
            policy=RetryPolicy(max_retries=c.max_retries, backoff_s=c.backoff_s, max_backoff_s=c.max_backoff_s),
        )
        return PageFetcher(settings, ctx.logger, ctx.cancel_event)

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        with self._fetcher(ctx) as fetcher:
            if self.config.mode == "code":
                items = self._run_code(ctx, fetcher, records)
                out: dict[str, Record] = {}
                for item in items:
                    out.setdefault(item["id"], item)
                duplicates = len(items) - len(out)
            else:
                out = {}
                duplicates = self._run_selectors(ctx, fetcher, records, out)
        if duplicates:
            ctx.logger.info("skipped %d duplicate items (same id: listed twice)", duplicates)
        return list(out.values())

    def _run_selectors(self, ctx: NodeContext, fetcher: PageFetcher, records: list[Record],
                       out: dict[str, Record]) -> int:
        """Scrape into `out` (id -> item, first listing wins); returns how many duplicates were skipped."""
        c = self.config
        duplicates = 0
        if not c.url_field:
            for url in c.urls:
                duplicates += self._scrape_listing(ctx, fetcher, url, {}, None, out)
            return duplicates
        for record in records:
            record_id = record.get("id")
            kept = {name: record.get(name) for name in c.keep_fields}
            for url in self._urls_of(record):
                duplicates += self._scrape_listing(ctx, fetcher, url, kept, record_id, out)
        return duplicates

    def _urls_of(self, record: Record) -> list[str]:
        field = self.config.url_field
        try:
            value = get_path(record, field)
        except TemplateError as exc:
            raise NodeError(f"{exc}; set url_field to the field that holds the URL", node_id=self.node_id,
                            record_id=record.get("id")) from None
        urls = value if isinstance(value, list) else [value]
        for url in urls:
            if not isinstance(url, str) or not is_absolute_url(url):
                raise NodeError(f'field "{field}" holds {url!r}, not an absolute http(s) URL', node_id=self.node_id,
                                record_id=record.get("id"))
        return urls

    def _fetch(self, fetcher: PageFetcher, url: str, record_id: str | None):
        try:
            return fetcher.get(url)
        except FetchError as exc:
            raise NodeError(str(exc), node_id=self.node_id, record_id=record_id, exception_type=type(exc).__name__) from None

    def _scrape_listing(self, ctx: NodeContext, fetcher: PageFetcher, start_url: str, kept: dict[str, Any],
                        record_id: str | None, out: dict[str, Record]) -> int:
        c = self.config
        page_url: str | None = start_url
        site = self._site_for(start_url)
        visited: set[str] = set()
        duplicates = 0
        while page_url and len(visited) < c.max_pages:
            if c.max_items and len(out) >= c.max_items:
                return duplicates
            ctx.check_cancelled()
            visited.add(page_url)
            if visited != {start_url} and c.respect_robots and not fetcher.allowed(page_url):
                ctx.logger.warning("robots.txt disallows the next page %s; stopping pagination", page_url)
                return duplicates
            page = self._fetch(fetcher, page_url, record_id)
            soup = page.soup()
            base = base_url(soup, page.url)
            items = soup.select(c.item_selector)
            ctx.logger.info("GET %s: HTTP %d, %d bytes, %d items", page.url, page.status, len(page.content), len(items))
            if not items and len(visited) == 1:
                ctx.logger.warning('the item selector "%s" matched nothing on %s', c.item_selector, page.url)
            scraped_at = datetime.now(timezone.utc).isoformat()
            for element in items:
                values = extract_fields(element, c.fields, base)
                key = values.get(c.key_field) if c.key_field else None
                if key in (None, "", []):
                    # No key: fall back to the item's text, stable while the item reads the same.
                    key = element.get_text(" ", strip=True)
                item: Record = {"id": item_id(key, start_url, site), **kept, **values}
                if item["id"] in out:  # listed twice (pagination shifted, several start URLs)
                    duplicates += 1
                    continue
                if c.add_provenance:
                    item["source_url"], item["scraped_at"] = page.url, scraped_at
                if c.follow_field:
                    self._add_article(ctx, fetcher, item, record_id)
                out[item["id"]] = item
                if c.max_items and len(out) >= c.max_items:
                    return duplicates
            next_url = next_page_url(soup, c.next_selector, base) if c.next_selector else None
            if next_url in visited:
                return duplicates
            page_url = next_url
        return duplicates

    def _site_for(self, start_url: str) -> str:
        """What ids are relative to: the configured site, else the folder holding all
        configured start URLs on this host (so an item listed under two of them gets one
        id), else (URLs from input records) the start URL's own folder."""
        c = self.config
        if c.site_url:
            return c.site_url
        host = urlsplit(start_url).netloc.lower()
        same_host = [u for u in c.urls if urlsplit(u).netloc.lower() == host] if start_url in c.urls else []
        return common_site(same_host or [start_url])

    def _add_article(self, ctx: NodeContext, fetcher: PageFetcher, item: Record, record_id: str | None) -> None:
        link = item.get(self.config.follow_field)
        if not isinstance(link, str) or not is_absolute_url(link):
            ctx.logger.warning('item %s has no link in "%s"; not followed', item["id"], self.config.follow_field)
            return
        ctx.check_cancelled()
        try:
            page = fetcher.get(link)
        except FetchError as exc:
            if not self.config.skip_failed_articles:
                raise NodeError(f"{exc} (article page of item {item['id']}; turn on skip_failed_articles to keep "
                                "going without it)", node_id=self.node_id, record_id=record_id,
                                exception_type=type(exc).__name__) from None
            ctx.logger.warning("%s; item kept without article fields", exc)
            item["article_error"] = str(exc)
            return
        soup = page.soup()
        for name, value in extract_fields(soup, self.config.article_fields, base_url(soup, page.url)).items():
            if name != "id":
                item[name] = value

    def _run_code(self, ctx: NodeContext, fetcher: PageFetcher, records: list[Record]) -> list[Record]:
        fn = load_user_function(self.config.code, self.node_id)
        # `fetch(url) -> str`: the polite fetcher, for code that wants it; plain
        # `requests` code is untouched.
        fn.func.__globals__.setdefault("fetch", fetcher.get_text)
        return run_generator(fn, records, self._code_item, ctx.check_cancelled, check_every=100)

    def _code_item(self, item: Any, source_id: str | None) -> Record:
        if not isinstance(item, dict):
            raise NodeError(f"the code yielded {type(item).__name__}, expected a dict (a record)",
                            node_id=self.node_id, record_id=source_id, exception_type="TypeError")
        if item.get("id") is None:
            url = item.get("url")
            # Same stable id as selectors mode when the item has a URL.
            item["id"] = (item_id(url, "", self.config.site_url or None) if isinstance(url, str) and is_absolute_url(url)
                          else str(uuid4()))
        elif not isinstance(item["id"], str):
            item["id"] = str(item["id"])
        return item
