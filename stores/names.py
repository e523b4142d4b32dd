"""The one rule for names — of stores, secrets, workflows, labeling projects, tasks,
heuristics and lookup lists — and how a store name becomes a table.

`NAME_PATTERN` is anchored for JSON Schema and pydantic (`Field(pattern=...)`, which
search); in Python a name is checked with `fullmatch`, so a trailing newline ("abc\\n",
which `re.match` with `$` lets through) is refused everywhere. Identifiers are the only
part of SQL built from strings, so they are built only from names that passed
`check_name`; every value travels as a query parameter.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from .errors import NameInvalid

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
NAME_RULE = "use 1-63 characters, a lowercase letter first, then lowercase letters, digits, '_' or '-'"
_NAME_RE = re.compile(NAME_PATTERN)


def is_valid_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and _NAME_RE.fullmatch(name) is not None


def check_name(name: object, what: str = "store") -> str:
    if not is_valid_name(name):
        raise NameInvalid(f"{what} name {name!r} is not allowed: {NAME_RULE}")
    return name


def table_of(store: str) -> str:
    """The quoted table identifier of a (checked) store name; `store_` keeps user tables
    apart from the internal ones (`_stores`, `_cursors`, `secrets`)."""
    return f'"store_{check_name(store)}"'
