"""Equality filters on JSON fields: `{"meta.lang": "en", "score": 3}` → a parameterised
WHERE clause. Field paths are dotted; each part is quoted into a JSONPath passed as a
parameter, and values are parameters too, so nothing from the filter reaches the SQL text.
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
    return "$." + ".".join(f'"{part}"' for part in parts)


def where_sql(store: str, where: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """SQL condition (always valid, `TRUE` when empty) and its parameters."""
    if not where:
        return "TRUE", []
    if not isinstance(where, dict):
        raise FilterInvalid(f'store "{store}": a filter must be an object of field → value, got {type(where).__name__}')
    clauses: list[str] = []
    params: list[Any] = []
    for field, value in where.items():
        path = json_path(store, field)
        if value is None:
            clauses.append("coalesce(json_type(data, ?), 'NULL') = 'NULL'")
            params.append(path)
        elif isinstance(value, bool):
            clauses.append("json_type(data, ?) = 'BOOLEAN' AND data ->> ? = ?")
            params += [path, path, "true" if value else "false"]
        elif isinstance(value, (int, float)):
            clauses.append("json_type(data, ?) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND TRY_CAST(data ->> ? AS DOUBLE) = ?")
            params += [path, path, float(value)]
        elif isinstance(value, str):
            clauses.append("json_type(data, ?) = 'VARCHAR' AND data ->> ? = ?")
            params += [path, path, value]
        elif isinstance(value, (list, dict)):
            clauses.append("json_extract(data, ?) = CAST(? AS JSON)")
            params += [path, orjson.dumps(value).decode()]
        else:
            raise FilterInvalid(
                f'store "{store}": filter value for "{field}" must be JSON (string, number, bool, null, list or object), '
                f"got {type(value).__name__}"
            )
    return " AND ".join(f"({clause})" for clause in clauses), params
