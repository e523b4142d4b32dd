"""Equality filters on JSON fields: `{"meta.lang": "en", "score": 3}` → a parameterised
query of the matching rows. Field paths are dotted; each part is quoted into a JSONPath passed as a
parameter, and values are parameters too, so nothing from the filter reaches the SQL text.
A part that is exactly `*` is refused: DuckDB reads it as a wildcard even when quoted (and
then refuses the whole multi-path extraction), and equality on "any field" is not a filter.
"""

from __future__ import annotations

from typing import Any

import orjson

from .errors import FilterInvalid


def json_path(store: str, field: str) -> str:
    if not isinstance(field, str) or not field:
        raise FilterInvalid(f'store "{store}": filter field {field!r} must be a non-empty string like "meta.lang"')
    parts = field.split(".")
    for part in parts:
        if not part or '"' in part or "\\" in part:
            raise FilterInvalid(
                f'store "{store}": filter field "{field}" is not a dotted path of names (no empty parts, quotes or backslashes)'
            )
        if part == "*":
            raise FilterInvalid(f'store "{store}": filter field "{field}" has a wildcard "*"; '
                                'name the field exactly, like "meta.lang"')
    return "$." + ".".join(f'"{part}"' for part in parts)


def matching_rows(store: str, table: str, where: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """A FROM-clause source of the store's rows (`data`, `seq`) that match `where`, and
    its parameters. All filter fields come out of one `json_extract` call, so each
    document is parsed once however many fields the filter names."""
    if not where:
        return table, []
    if not isinstance(where, dict):
        raise FilterInvalid(f'store "{store}": a filter must be an object of field → value, got {type(where).__name__}')
    paths: list[str] = []
    clauses: list[str] = []
    params: list[Any] = []
    for index, (field, value) in enumerate(where.items(), start=1):
        paths.append(json_path(store, field))
        v = f"_v[{index}]"
        if value is None:
            clauses.append(f"coalesce(json_type({v}), 'NULL') = 'NULL'")
        elif isinstance(value, bool):
            clauses.append(f"json_type({v}) = 'BOOLEAN' AND {v}::VARCHAR = ?")
            params.append("true" if value else "false")
        elif isinstance(value, (int, float)):
            clauses.append(f"json_type({v}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST({v}::VARCHAR AS DOUBLE) = ?")
            params.append(float(value))
        elif isinstance(value, str):
            clauses.append(f"json_type({v}) = 'VARCHAR' AND {v} ->> '$' = ?")
            params.append(value)
        elif isinstance(value, (list, dict)):
            clauses.append(f"{v} = CAST(? AS JSON)")
            params.append(orjson.dumps(value).decode())
        else:
            raise FilterInvalid(
                f'store "{store}": filter value for "{field}" must be JSON (string, number, bool, null, list or object), '
                f"got {type(value).__name__}"
            )
    condition = " AND ".join(f"({clause})" for clause in clauses)
    source = (f"(SELECT data, seq FROM (SELECT data, seq, json_extract(data, ?::VARCHAR[]) AS _v FROM {table}) "
              f"WHERE {condition})")
    return source, [paths, *params]
