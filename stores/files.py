"""File stores: CSV, Parquet and JSON Lines in and out of shared stores, through DuckDB.

Files live under `files/` in the data folder and every path a user gives is resolved
inside it: `..`, absolute paths elsewhere and symlinks that lead out are refused, so
neither a flow nor an API call can read or overwrite anything else (the databases
beside `files/` included).

Import reads with DuckDB's readers and upserts the rows (an `id` column, or the column
named by `id_field`, becomes the record id; rows without one get a uuid4). Export writes
with `COPY`: JSON Lines is the stored JSON verbatim; Parquet keeps nested fields as
structs/lists (types unified by DuckDB's `json_group_structure`); CSV gets one column per
top-level field, nested values as JSON text. Spreadsheets (.xlsx) go through openpyxl
(`spreadsheets.py`), since DuckDB's excel extension cannot be installed offline.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import duckdb
import orjson

from .errors import FileFormatUnsupported, FileNotFound, FilePathRefused, FileUnreadable
from .filters import matching_rows
from .names import table_of
from . import spreadsheets

FORMATS = ("csv", "parquet", "jsonl", "xlsx")
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl", ".xlsx": "xlsx"}


def resolve(root: Path, user_path: str) -> Path:
    """`user_path` as a real path inside `root`, or FilePathRefused."""
    if not isinstance(user_path, str) or not user_path.strip() or "\x00" in user_path:
        raise FilePathRefused(f"file path {user_path!r} is empty or not a string")
    root = root.resolve()
    candidate = Path(user_path)
    if ".." in candidate.parts:
        raise FilePathRefused(f'file path "{user_path}" contains ".."; give a path inside the files folder {root}')
    if not candidate.is_absolute():
        candidate = root / candidate
    # resolve() follows every symlink, so a link inside files/ that points outside is caught here.
    resolved = candidate.resolve()
    if resolved != root and not resolved.is_relative_to(root):
        raise FilePathRefused(f'file path "{user_path}" is outside the files folder {root}')
    if resolved == root:
        raise FilePathRefused(f'file path "{user_path}" names the files folder itself, not a file')
    return resolved


def file_format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        fmt = _SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise FileFormatUnsupported(
                f'cannot tell the format of "{path.name}" from its extension; pass format as one of {", ".join(FORMATS)}'
            )
    fmt = {"ndjson": "jsonl", "json": "jsonl"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise FileFormatUnsupported(f'file format "{fmt}" is not supported; use one of {", ".join(FORMATS)}')
    return fmt


def list_files(root: Path) -> list[dict[str, Any]]:
    root = root.resolve()
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            out.append({"path": path.relative_to(root).as_posix(), "bytes": stat.st_size, "modified": stat.st_mtime})
    return out


def read_rows(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> list[dict[str, Any]]:
    if not path.is_file():
        raise FileNotFound(f'file "{path.name}" does not exist in the files folder')
    try:
        return _read_rows(con, path, fmt)
    except (duckdb.Error, orjson.JSONDecodeError) as exc:
        # Bad bytes are the user's input, not our failure: say what the reader found.
        raise FileUnreadable(path.name, fmt, _reason(exc, path)) from None


def _reason(exc: Exception, path: Path) -> str:
    """The reader's first line, without DuckDB's error-class prefix or the full path."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first = first.removeprefix("Invalid Input Error: ").removeprefix("Conversion Error: ")
    return first.replace(str(path), path.name)


def _read_rows(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "xlsx":
        return spreadsheets.read_rows(path)
    if fmt == "jsonl":
        # Each line as its own JSON object, verbatim: no schema unification adding null
        # keys or turning mixed-type fields into text.
        lines = con.execute("SELECT json FROM read_json_objects(?, format = 'newline_delimited')", [str(path)]).fetchall()
        return [orjson.loads(line) for (line,) in lines]
    reader = "read_csv(?, auto_detect = true)" if fmt == "csv" else "read_parquet(?)"
    result = con.execute(f"SELECT * FROM {reader}", [str(path)])
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def rows_to_records(rows: list[Any], id_field: str) -> list[Any]:
    """Rows as records: `id` taken from `id_field` (as a string) or a new uuid4. Rows that
    are not objects are passed on as they are, for the batch check to name them."""
    records = []
    for row in rows:
        if not isinstance(row, dict):
            records.append(row)
            continue
        value = row.get(id_field)
        if value is None or value == "":
            row["id"] = str(uuid.uuid4())
        else:
            row["id"] = value if isinstance(value, str) else str(value)
        records.append(row)
    return records


def export(con: duckdb.DuckDBPyConnection, store: str, path: Path, fmt: str,
           where: dict[str, Any] | None = None) -> int:
    """Write the store's records (oldest first) to `path`; returns the number written."""
    table = table_of(store)
    source, params = matching_rows(store, table, where)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = con.execute(f"SELECT count(*) FROM {source}", params).fetchall()[0][0]
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        if fmt == "xlsx":
            records = [orjson.loads(data) for (data,) in con.execute(
                f"SELECT data FROM {source} ORDER BY seq", params).fetchall()]
            spreadsheets.write_rows(tmp, store, records)
        elif fmt == "jsonl":
            # Stored JSON has no raw newlines (they are escaped), so a CSV writer with no
            # quoting and an unused delimiter writes each record's JSON text as one line.
            con.execute(
                f"COPY (SELECT data::VARCHAR FROM {source} ORDER BY seq) TO ? "
                "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x1f')",
                [*params, str(tmp)],
            )
        else:
            structure = con.execute(f"SELECT json_group_structure(data) FROM {source}", params).fetchall()[0][0]
            if structure is None:
                select = "SELECT NULL::VARCHAR AS id WHERE false"
                select_params: list[Any] = []
            else:
                shape = orjson.loads(structure)
                if fmt == "csv":
                    # CSV has no nesting: nested values go out as JSON text.
                    shape = {key: ("JSON" if isinstance(value, (dict, list)) else value) for key, value in shape.items()}
                select = f"SELECT unnest(json_transform(data, ?)) FROM {source} ORDER BY seq"
                select_params = [orjson.dumps(shape).decode(), *params]
            options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
            con.execute(f"COPY ({select}) TO ? ({options})", [*select_params, str(tmp)])
        os.replace(tmp, path)  # readers never see a half-written export
    finally:
        if tmp.exists():
            tmp.unlink()
    return int(count)
