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
    body); subclasses may narrow it (e.g. "version_conflict"). `detail` is the message and
    `details()` the extra fields returned next to it (node, problems, current_version, ...).
    """

    kind = "error"

    @property
    def detail(self) -> str:
        """The message shown to the user; the exception's text unless a subclass says otherwise."""
        return str(self)

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



class StoreError(WireworkError):
    """Base of every error the stores raise; each one is also the family kind it is.

    The builtin bases (LookupError, ValueError, ...) stay because callers rely on them:
    `except LookupError` around secret and store reads (nodes/secret_values.py, the demo
    bootstrap, the labeling sync), pydantic turning a ValueError of a validator into a
    config problem.
    """


class NameInvalid(StoreError, Invalid, ValueError):
    """A store, secret or file name that does not match the allowed pattern."""


class StoreNotFound(StoreError, NotFound, LookupError):
    def __init__(self, name: str):
        super().__init__(f'store "{name}" does not exist; create it first (or let store.write create it)')
        self.name = name


class StoreExists(StoreError, Conflict):
    def __init__(self, name: str):
        super().__init__(f'store "{name}" already exists')
        self.name = name


class RecordInvalid(StoreError, Invalid, ValueError):
    """A record of a batch cannot be stored; the whole batch was refused, nothing changed."""

    def __init__(self, store: str, index: int, record_id: object, problem: str, *, what: str = "batch"):
        where = f"record {index}" + (f' (id "{record_id}")' if record_id is not None else "")
        super().__init__(f'store "{store}": {where} {problem}; the {what} was not written (nothing changed)')
        self.store = store
        self.index = index
        self.record_id = record_id
        self.problem = problem

    def details(self) -> dict[str, Any]:
        return {"store": self.store, "index": self.index,
                "record_id": self.record_id if isinstance(self.record_id, str) else None}


class WriteNotFound(StoreError, NotFound, LookupError):
    """A staged write (`upsert_batches` over HTTP) that is not open: never opened, already
    committed or aborted, or removed after an hour without a batch."""

    def __init__(self, store: str, write_id: str):
        super().__init__(f'store "{store}": no open write "{write_id}" (it was committed, aborted, refused a '
                         "record, or left without a batch for an hour and removed); start the write again")
        self.name = store
        self.write_id = write_id

    def details(self) -> dict[str, Any]:
        return {"store": self.name, "write_id": self.write_id}


class StoreMemoryExceeded(StoreError, Unavailable):
    """DuckDB ran out of the memory it may use (`WIREWORK_DUCKDB_MEMORY_MB`) and could not
    spill; nothing of the operation was written."""


class FilterInvalid(StoreError, Invalid, ValueError):
    """A browse/read filter that cannot be turned into a query."""


class FilePathRefused(StoreError, Forbidden, PermissionError):
    """A file path that would leave the data folder's `files/` area."""

    kind = "path_refused"


class FileFormatUnsupported(StoreError, Invalid, ValueError):
    pass


class FileUnreadable(StoreError, Invalid, ValueError):
    """A file whose bytes are not the format its name says (a garbage .parquet, a binary
    .csv, a .jsonl with a broken line): the reader's reason, naming the file."""

    kind = "invalid_file"

    def __init__(self, name: str, fmt: str, reason: str):
        super().__init__(f'"{name}" is not a readable {fmt} file: {reason}')
        self.name, self.format, self.reason = name, fmt, reason


class SpreadsheetTooLarge(StoreError, Invalid):
    """A store that does not fit a spreadsheet (too many rows, or a cell too long)."""


class FileNotFound(StoreError, NotFound, LookupError):
    pass


class SecretNotFound(StoreError, NotFound, LookupError):
    def __init__(self, name: str):
        super().__init__(f'secret "{name}" is not set; add it on the secrets page (or through the API)')
        self.name = name


class SecretInvalid(StoreError, Invalid, ValueError):
    pass


class SecretUndecryptable(StoreError, Invalid):
    """A stored secret that this data folder's secrets.key cannot decrypt."""


class StoreClientClosed(StoreError, Unavailable, RuntimeError):
    pass


class StoresLocked(StoreError, Unavailable):
    """stores.duckdb is held by another process (usually `wirework up`)."""
