"""Secrets inside nodes: resolving a secret by name and keeping its value out of sight.

Owns `resolve_secret` (through the run's store client, the one documented way), which
registers every value it resolves in the node's `NodeContext.mask`, and `SecretMask`,
which replaces secret values — and every part of secret URLs (path and its segments,
query values, userinfo, fragment; raw and percent-decoded), which is where webhook
tokens live — in any text or JSON value before it reaches a log, an error, a run sample
or an output record. The engine applies the node's mask at the node boundary;
`masked_loggers` applies it to third-party loggers (urllib3, slack_sdk) for as long as a
node talks to a secret URL.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import logging
import re
import threading
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, unquote_plus, urlsplit

from .base import NodeContext, NodeError

MASK = "***"


def mask_url(url: str) -> str:
    """Scheme and host only: `https://hooks.slack.com/***` (tokens sit in path and query)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return MASK
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{host}/{MASK}"


MIN_PART_CHARS = 6  # parts of a secret URL this long or longer are masked on their own


def _is_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return bool(parts.scheme and "://" in value and parts.hostname)


def _requoted(url: str) -> str:
    """The URL as requests puts it on the wire (unreserved characters unquoted, others quoted)."""
    try:
        from requests.utils import requote_uri
    except ImportError:  # pragma: no cover - requests is a dependency of the web nodes
        return url
    try:
        return requote_uri(url)
    except Exception:  # an invalid escape: requests sends it as is
        return url


def url_parts(url: str) -> list[str]:
    """Every part of a URL a server or library might echo on its own: path segments,
    query values and key=value pairs, userinfo user and password (and their Basic
    credential), the fragment — each in raw and percent-decoded form, if at least
    MIN_PART_CHARS long. Scheme and host are not secret parts."""
    found: list[str] = []

    def add(part: str | None) -> None:
        if not part:
            return
        for form in (part, unquote(part), unquote_plus(part)):
            if len(form) >= MIN_PART_CHARS and form not in found:
                found.append(form)

    for variant in dict.fromkeys((url, _requoted(url))):
        parts = urlsplit(variant)
        # Segments of the raw path, and of the decoded one (an encoded "/" splits there).
        for segment in parts.path.split("/") + unquote(parts.path).split("/"):
            add(segment)
            for piece in segment.split(";"):  # path parameters
                add(piece)
        add(parts.query)
        for pair in re.split(r"[&;]", parts.query):
            add(pair)
            key, sep, value = pair.partition("=")
            if sep:
                add(value)
        add(parts.fragment)
        add(parts.username)
        add(parts.password)
        if parts.username is not None or parts.password is not None:
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
            add(f"{parts.username or ''}:{parts.password or ''}")
            # requests sends the userinfo as a Basic Authorization header.
            basic = base64.b64encode(f"{user}:{password}".encode("latin-1", "replace")).decode("ascii")
            add(basic)
    return found


class SecretMask:
    """Replaces every registered secret value (and every part of secret URLs) with `***`.

    Registered texts are kept longest first, so a whole URL is replaced (by its masked
    form, scheme and host visible) before its parts are. One mask may serve a whole run
    (nodes in parallel threads): additions are serialised, and the list is replaced, not
    sorted in place, so `text` needs no lock. An empty mask costs one truth test.
    """

    def __init__(self) -> None:
        self._values: list[tuple[str, str]] = []  # (secret text, replacement), longest first
        self._lock = threading.Lock()

    def add_url(self, url: str) -> str:
        """Register a secret URL; returns its masked form for messages."""
        masked = mask_url(url)
        additions: list[tuple[str, str]] = []
        for variant in dict.fromkeys((url, _requoted(url), unquote(url))):
            additions.append((variant, masked))
            parts = urlsplit(variant)
            # Loggers such as urllib3 print only "POST /path?query": mask that part too,
            # and the path alone (servers echo it without the query).
            tail = parts.path + (f"?{parts.query}" if parts.query else "")
            for piece in (tail, parts.path):
                if len(piece) > 1:
                    additions.append((piece, f"/{MASK}"))
        additions += [(part, MASK) for part in url_parts(url)]
        self._add_all(additions)
        return masked

    def add_value(self, value: str) -> None:
        additions = [(value, MASK)]
        scheme, _, credential = value.partition(" ")
        # "Bearer <token>": a server echoing the token alone must not reveal it either.
        if credential and len(credential.strip()) >= 8:
            additions.append((credential.strip(), MASK))
        self._add_all(additions)

    def add_secret(self, value: str) -> str:
        """Register a resolved secret: URL-shaped values part by part, others whole.
        Returns what may be shown of it (the masked URL, or `***`)."""
        if _is_url(value):
            return self.add_url(value.strip())
        self.add_value(value)
        return MASK

    def _add(self, secret: str, replacement: str) -> None:
        self._add_all([(secret, replacement)])

    def _add_all(self, additions: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            values = list(self._values)
            for secret, replacement in additions:
                if secret and (secret, replacement) not in values:
                    values.append((secret, replacement))
            if len(values) != len(self._values):
                values.sort(key=lambda item: len(item[0]), reverse=True)
                self._values = values  # one assignment: readers see the old or the new list

    def __bool__(self) -> bool:
        return bool(self._values)

    def text(self, text: str) -> str:
        for secret, replacement in self._values:
            if secret in text:
                text = text.replace(secret, replacement)
        return text

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string masked."""
        if not self._values:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


def context_mask(ctx: NodeContext) -> SecretMask:
    """The node's own mask (`NodeContext.mask`), shared with the engine."""
    return ctx.mask


def resolve_secret(ctx: NodeContext, name: str, *, node_id: str, purpose: str) -> str:
    """The value of the secret `name`, or a NodeError saying how to define it."""
    source = ctx.store_client if ctx.store_client is not None else ctx.secrets
    if source is None:
        raise NodeError(f'{purpose} comes from the secret "{name}", but this run has no access to secrets '
                        "(no store client); run it through `wirework run` or the server", node_id=node_id)
    try:
        value = source.get_secret(name)
    except LookupError:  # KeyError, or the stores' SecretNotFound
        value = None
    except Exception as exc:  # the store's own error type; its text never holds the value
        raise NodeError(f'reading the secret "{name}" for {purpose} failed: {type(exc).__name__}: {exc}',
                        node_id=node_id) from None
    if not value:
        raise NodeError(f'the secret "{name}" ({purpose}) is not defined; add it on the Secrets page '
                        "or through the API, then run again", node_id=node_id)
    ctx.mask.add_secret(value)  # the engine masks the node's error, logs and sample with it
    return value


class _ActiveMasksFilter(logging.Filter):
    """Installed once per logger and never removed: nodes run in parallel threads, and
    adding/removing filters while another thread logs could let a record slip past."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._masks: dict[int, SecretMask] = {}
        self._keys = itertools.count()

    def activate(self, mask: SecretMask) -> int:
        # One key per activation, not per mask: nodes of a run share the run's mask, and one
        # node leaving `masked_loggers` must not switch it off for another still inside.
        with self._lock:
            key = next(self._keys)
            self._masks[key] = mask
            return key

    def deactivate(self, key: int) -> None:
        with self._lock:
            self._masks.pop(key, None)

    def filter(self, record: logging.LogRecord) -> bool:
        masks = list({id(m): m for m in list(self._masks.values())}.values())  # a shared mask once
        if masks:
            message = record.getMessage()
            masked = message
            for mask in masks:
                masked = mask.text(masked)
            if masked != message:
                record.msg, record.args = masked, None
        return True


_active = _ActiveMasksFilter()
_installed: set[str] = set()
_install_lock = threading.Lock()


@contextlib.contextmanager
def masked_loggers(mask: SecretMask, names: Iterable[str]) -> Iterator[None]:
    """Mask secrets in records logged directly to the named loggers while inside."""
    with _install_lock:
        for name in names:
            if name not in _installed:
                logging.getLogger(name).addFilter(_active)
                _installed.add(name)
    key = _active.activate(mask)
    try:
        yield
    finally:
        _active.deactivate(key)
