"""Turning a batch of records into one Arrow table (`id`, `data` JSON text, `ord`).

Serialisation is the main cost of a write (see ENVIRONMENT.md), so records are encoded
with orjson once each and the JSON bytes are laid into a single Arrow buffer, typed as
JSON, without any per-record Python string copies. Every record is checked first, so a bad
record refuses the whole batch before anything touches the database.
"""

from __future__ import annotations

import decimal
import uuid
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from .errors import RecordInvalid

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_JSON_TYPE = pa.json_(pa.large_string())


def _json_default(value: Any) -> Any:
    # orjson handles datetime/date/UUID/numpy itself; these are the other common kinds
    # that come out of DuckDB readers or user code.
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


# What an HTTP client needs to encode records exactly as `encode_batch` does.
RECORD_JSON_OPTIONS = _OPTIONS
record_json_default = _json_default


def check_records(store: str, records: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The records with unique string ids (the last of equal ids wins), and those ids."""
    if not isinstance(records, (list, tuple)):
        raise RecordInvalid(store, 0, None, f"batch must be a list of records, got {type(records).__name__}")
    ids: list[str] = []
    append = ids.append
    for index, record in enumerate(records):
        # One pass does the checks and collects the ids (this loop runs per record).
        if type(record) is not dict and not isinstance(record, dict):
            raise RecordInvalid(store, index, None, f"is a {type(record).__name__}, expected a dict")
        record_id = record.get("id")
        if type(record_id) is not str or not record_id:
            problem = "has no \"id\"" if record_id is None else f'has id {record_id!r}: "id" must be a non-empty string'
            raise RecordInvalid(store, index, record_id, problem + "; give every record a string id")
        append(record_id)
    if len(set(ids)) != len(ids):
        # Same as writing the records one after another: the last version of an id wins.
        by_id = {record["id"]: record for record in records}
        return list(by_id.values()), list(by_id)
    return list(records), ids


def encode_batch(store: str, records: Any) -> pa.Table:
    """Checked, de-duplicated records as an Arrow table ready for one bulk statement."""
    given = records
    records, ids = check_records(store, given)
    try:
        parts = _dump_each(records)
    except (TypeError, orjson.JSONEncodeError):
        for index, record in enumerate(given):  # report the index in the batch as given
            try:
                orjson.dumps(record, _json_default, _OPTIONS)
            except (TypeError, orjson.JSONEncodeError) as exc:
                raise RecordInvalid(store, index, record["id"], f"is not JSON-serialisable ({exc})") from None
        raise
    count = len(parts)
    offsets = np.zeros(count + 1, dtype=np.int64)
    if count:
        np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=count), out=offsets[1:])
    text = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(b"".join(parts)))
    # Typed as Arrow's canonical JSON extension: DuckDB takes it as JSON without parsing
    # every document again (measured: half the insert time of a plain string column).
    data = pa.ExtensionArray.from_storage(_JSON_TYPE, text)
    return pa.table({"id": pa.array(ids, type=pa.string()), "data": data,
                     "ord": pa.array(np.arange(count, dtype=np.int64))})


def _dump_each(records: list[dict[str, Any]]) -> list[bytes]:
    """Each record's JSON, from one orjson call over the whole batch.

    One `dumps` per record costs a fresh output buffer per record (about one page fault
    each on a cold heap: ~0.26 s CPU for 100k records against ~0.15 s this way). So the
    batch is dumped once with a random marker string between records and split on it.
    The marker sits only between top-level records, where user data cannot put the same
    bytes unnoticed: if the split does not give exactly one piece per record (the data
    contains the marker), it falls back to one `dumps` per record.
    """
    count = len(records)
    if count < 2:
        return [orjson.dumps(record, _json_default, _OPTIONS) for record in records]
    marker = f"wirework-record-boundary-{uuid.uuid4().hex}"
    interleaved: list[Any] = [marker] * (2 * count - 1)
    interleaved[0::2] = records
    whole = orjson.dumps(interleaved, _json_default, _OPTIONS)
    parts = whole.split(b',"' + marker.encode() + b'",')
    if len(parts) != count:
        return [orjson.dumps(record, _json_default, _OPTIONS) for record in records]
    parts[0] = parts[0][1:]  # the list's "[" and "]"
    parts[-1] = parts[-1][:-1]
    return parts
