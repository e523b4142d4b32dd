"""Wirework's one error family, and the typed errors of the stores package.

`WireworkError` and its five kinds (`NotFound`, `Conflict`, `Invalid`, `Forbidden`,
`Unavailable`) live here because stores is the bottom layer: stores, nodes and the engine
all raise them, and every domain error (store, labeling, workflow, run) subclasses the
kind it is. Only the API maps kinds to status codes (engine/server/errors.py) and only
the HTTP client maps them back; nothing below the server knows about HTTP. An error
carries what it is about as data (`details()`), and every message names the store,
record, file or secret concerned.
"""

from __future__ import annotations

from typing import Any


class WireworkError(Exception):
    """Base of every error a user can hit, in any layer.

    `kind` is the short machine-readable name the API answers with (`error` in the JSON
    body); subclasses may narrow it (e.g. "version_conflict"). `details()` gives the extra
    fields the API returns next to the message (node, problems, current_version, ...).
    """

    kind = "error"

    def details(self) -> dict[str, Any]:
        return {}


class NotFound(WireworkError):
    """Something named does not exist (store, secret, file, workflow, run, project, ...)."""

    kind = "not_found"


class Conflict(WireworkError):
    """The request clashes with the current state: already exists, stale version, ..."""

    kind = "already_exists"


class Invalid(WireworkError):
    """Bad input: a name, record, filter, workflow or config that cannot be accepted."""

    kind = "invalid_request"


class Forbidden(WireworkError):
    """Refused on principle, whatever the state: e.g. a path outside the data folder."""

    kind = "forbidden"


class Unavailable(WireworkError):
    """A component needed for the request is closed or not reachable right now."""

    kind = "unavailable"



class StoreError(Exception):
    """Base of every error the stores raise for bad input or missing things."""


class NameInvalid(StoreError, ValueError):
    """A store, secret or file name that does not match the allowed pattern."""


class StoreNotFound(StoreError, LookupError):
    def __init__(self, name: str):
        super().__init__(f'store "{name}" does not exist; create it first (or let store.write create it)')
        self.name = name


class StoreExists(StoreError):
    def __init__(self, name: str):
        super().__init__(f'store "{name}" already exists')
        self.name = name


class RecordInvalid(StoreError, ValueError):
    """A record of a batch cannot be stored; the whole batch was refused, nothing changed."""

    def __init__(self, store: str, index: int, record_id: object, problem: str):
        where = f"record {index}" + (f' (id "{record_id}")' if record_id is not None else "")
        super().__init__(f'store "{store}": {where} {problem}; the batch was not written (nothing changed)')
        self.store = store
        self.index = index
        self.record_id = record_id


class FilterInvalid(StoreError, ValueError):
    """A browse/read filter that cannot be turned into a query."""


class FilePathRefused(StoreError, PermissionError):
    """A file path that would leave the data folder's `files/` area."""


class FileFormatUnsupported(StoreError, ValueError):
    pass


class FileNotFound(StoreError, LookupError):
    pass


class SecretNotFound(StoreError, LookupError):
    def __init__(self, name: str):
        super().__init__(f'secret "{name}" is not set; add it on the secrets page (or through the API)')
        self.name = name


class SecretInvalid(StoreError, ValueError):
    pass


class StoreClientClosed(StoreError, RuntimeError):
    pass
