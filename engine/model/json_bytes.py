"""JSON for what a run reports and keeps (events, node samples, run data): orjson, with
one fallback. orjson refuses integers beyond 64 bits, which Python records may hold
(`10**30`, an id from another system); one such value used to lose the whole batch of
run events — the node stayed "running" with no error — and its node's run data. The
fallback writes those integers as their decimal text: the copy a user inspects shows
every digit (a JSON number would come back as a rounded float), and the records the next
node receives are untouched, since only this copy is encoded.
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

_INT64 = range(-(2 ** 63), 2 ** 64)  # orjson writes signed 64-bit and unsigned 64-bit integers


def dumps(value: Any, default: Callable[[Any], Any] | None = str, option: int = 0) -> bytes:
    try:
        return orjson.dumps(value, default=default, option=option)
    except TypeError as exc:
        if "64-bit" not in str(exc):
            raise
        return orjson.dumps(_wide_ints_as_text(value), default=default, option=option)


def _wide_ints_as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value in _INT64 else str(value)
    if isinstance(value, dict):
        return {key: _wide_ints_as_text(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wide_ints_as_text(item) for item in value]
    return value
