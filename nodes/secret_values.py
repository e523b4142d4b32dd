"""Secrets inside nodes: resolving a secret by name and keeping its value out of sight.

Owns `resolve_secret` (through the run's store client, the one documented way) and
`SecretMask`, which replaces secret values — and the path of secret URLs, which is
where webhook tokens live — in any text or JSON value before it reaches a log, an
error, a run sample or an output record. `masked_loggers` applies the same mask to
third-party loggers (urllib3, slack_sdk) for as long as a node talks to a secret URL.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

from .base import NodeContext, NodeError

MASK = "***"


def mask_url(url: str) -> str:
    """Scheme and host only: `https://hooks.slack.com/***` (tokens sit in path and query)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return MASK
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{host}/{MASK}"


class SecretMask:
    """Replaces every registered secret value (and secret URL paths) with `***`."""

    def __init__(self) -> None:
        self._values: list[tuple[str, str]] = []  # (secret text, replacement), longest first

    def add_url(self, url: str) -> str:
        """Register a secret URL; returns its masked form for messages."""
        masked = mask_url(url)
        self._add(url, masked)
        parts = urlsplit(url)
        # Loggers such as urllib3 print only "POST /path?query": mask that part too.
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        if len(tail) > 1:
            self._add(tail, f"/{MASK}")
        return masked

    def add_value(self, value: str) -> None:
        self._add(value, MASK)
        scheme, _, credential = value.partition(" ")
        # "Bearer <token>": a server echoing the token alone must not reveal it either.
        if credential and len(credential.strip()) >= 8:
            self._add(credential.strip(), MASK)

    def _add(self, secret: str, replacement: str) -> None:
        if secret and (secret, replacement) not in self._values:
            self._values.append((secret, replacement))
            self._values.sort(key=lambda item: len(item[0]), reverse=True)

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


def resolve_secret(ctx: NodeContext, name: str, *, node_id: str, purpose: str) -> str:
    """The value of the secret `name`, or a NodeError saying how to define it."""
    getters = [getattr(ctx.store_client, "get_secret", None), getattr(ctx.secrets, "get_secret", None)]
    getter = next((g for g in getters if callable(g)), None)
    if getter is None:
        raise NodeError(f'{purpose} comes from the secret "{name}", but this run has no access to secrets '
                        "(no store client); run it through `wirework run` or the server", node_id=node_id)
    try:
        value = getter(name)
    except LookupError:  # KeyError, or the stores' SecretNotFound
        value = None
    except Exception as exc:  # the store's own error type; its text never holds the value
        raise NodeError(f'reading the secret "{name}" for {purpose} failed: {type(exc).__name__}: {exc}',
                        node_id=node_id) from None
    if not value:
        raise NodeError(f'the secret "{name}" ({purpose}) is not defined; add it on the Secrets page '
                        "or through the API, then run again", node_id=node_id)
    return value


class _ActiveMasksFilter(logging.Filter):
    """Installed once per logger and never removed: nodes run in parallel threads, and
    adding/removing filters while another thread logs could let a record slip past."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._masks: dict[int, SecretMask] = {}

    def activate(self, mask: SecretMask) -> int:
        with self._lock:
            key = id(mask)
            self._masks[key] = mask
            return key

    def deactivate(self, key: int) -> None:
        with self._lock:
            self._masks.pop(key, None)

    def filter(self, record: logging.LogRecord) -> bool:
        masks = list(self._masks.values())
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
