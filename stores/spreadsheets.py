"""Spreadsheet (.xlsx) import and export with openpyxl.

DuckDB's `excel` extension would be the natural path, but it is downloaded on first use
and this project must work offline, so spreadsheets go through openpyxl instead: the
first sheet, its first row as column names, one record per non-empty row. Export writes
one column per top-level field (nested values as JSON text) and writes every string as
text, so a value like "=HYPERLINK(…)" can never become a live formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from .errors import SpreadsheetTooLarge

MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
MAX_CELL_CHARS = 32_767


def read_rows(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return []
        names = _column_names(header)
        out = []
        for row in rows:
            if row is None or all(value is None for value in row):
                continue
            # read-only sheets drop trailing empty cells: missing columns are None
            out.append({name: (row[i] if i < len(row) else None) for i, name in enumerate(names)})
        return out
    finally:
        workbook.close()


def _column_names(header: tuple) -> list[str]:
    names: list[str] = []
    for index, value in enumerate(header, start=1):
        name = str(value).strip() if value is not None and str(value).strip() else f"column_{index}"
        base, n = name, 2
        while name in names:  # duplicate headers get a suffix rather than overwriting
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def write_rows(path: Path, store: str, records: list[dict[str, Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if len(records) > MAX_ROWS:
        raise SpreadsheetTooLarge(f'store "{store}" has {len(records)} records, more than a spreadsheet holds '
                                  f"({MAX_ROWS}); export a filter of it, or use Parquet or CSV")
    columns: dict[str, None] = {}
    for record in records:
        for key in record:
            columns.setdefault(key, None)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(store[:31])
    sheet.append(list(columns))
    for number, record in enumerate(records):
        row = []
        for key in columns:
            value = record.get(key)
            if isinstance(value, (dict, list)):
                value = orjson.dumps(value).decode()
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise SpreadsheetTooLarge(f'store "{store}": record {number} (id "{record.get("id")}") has a '
                                              f'"{key}" longer than a spreadsheet cell holds '
                                              f"({MAX_CELL_CHARS} characters)")
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                row.append(cell)
            else:
                row.append(value)
        sheet.append(row)
    workbook.save(path)
