"""The one rule for names of stores and secrets, and how a store name becomes a table.

Identifiers are the only part of SQL built from strings, so they are built only from
names that passed `check_name`; every value travels as a query parameter.
"""

from __future__ import annotations

import re

from .errors import NameInvalid

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
_NAME_RE = re.compile(NAME_PATTERN)


def check_name(name: object, what: str = "store") -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise NameInvalid(
            f"{what} name {name!r} is not allowed: use 1-63 characters, a lowercase letter first, "
            "then lowercase letters, digits, '_' or '-'"
        )
    return name


def table_of(store: str) -> str:
    """The quoted table identifier of a (checked) store name; `store_` keeps user tables
    apart from the internal ones (`_stores`, `_cursors`, `secrets`)."""
    return f'"store_{check_name(store)}"'
