"""Typed errors of the stores package: what a user can get wrong, and what to do about it.

The API maps them to status codes (not found → 404, exists → 409, the rest → 400), so
every message names the store, record, file or secret concerned.
"""

from __future__ import annotations


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
