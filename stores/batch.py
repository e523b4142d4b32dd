"""Turning a batch of records into one Arrow table (`id`, `data` JSON text, `ord`).

Serialisation is the main cost of a write (see ENVIRONMENT.md), so records are encoded
with orjson once each and the JSON bytes are laid into a single Arrow string buffer
without any per-record Python string copies. Every record is checked first, so a bad
record refuses the whole batch before anything touches the database.
"""

from __future__ import annotations

import decimal
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from .errors import RecordInvalid

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


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


def check_records(store: str, records: Any) -> list[dict[str, Any]]:
    """The records as a list with unique string ids (the last of equal ids wins)."""
    if not isinstance(records, (list, tuple)):
        raise RecordInvalid(store, 0, None, f"batch must be a list of records, got {type(records).__name__}")
    for index, record in enumerate(records):
        if type(record) is not dict:
            if not isinstance(record, dict):
                raise RecordInvalid(store, index, None, f"is a {type(record).__name__}, expected a dict")
        record_id = record.get("id")
        if type(record_id) is not str or not record_id:
            problem = "has no \"id\"" if record_id is None else f'has id {record_id!r}: "id" must be a non-empty string'
            raise RecordInvalid(store, index, None if record_id is None else record_id, problem + "; give every record a string id")
    ids = {record["id"] for record in records}
    if len(ids) != len(records):
        # Same as writing the records one after another: the last version of an id wins.
        records = list({record["id"]: record for record in records}.values())
    return list(records)


def encode_batch(store: str, records: Any) -> pa.Table:
    """Checked, de-duplicated records as an Arrow table ready for one bulk statement."""
    given = records
    records = check_records(store, given)
    dumps = orjson.dumps
    try:
        parts = [dumps(record, _json_default, _OPTIONS) for record in records]
    except (TypeError, orjson.JSONEncodeError):
        for index, record in enumerate(given):  # report the index in the batch as given
            try:
                dumps(record, _json_default, _OPTIONS)
            except (TypeError, orjson.JSONEncodeError) as exc:
                raise RecordInvalid(store, index, record["id"], f"is not JSON-serialisable ({exc})") from None
        raise
    count = len(parts)
    offsets = np.zeros(count + 1, dtype=np.int64)
    if count:
        np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=count), out=offsets[1:])
    data = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(b"".join(parts)))
    ids = pa.array([record["id"] for record in records], type=pa.string())
    return pa.table({"id": ids, "data": data, "ord": pa.array(np.arange(count, dtype=np.int64))})
