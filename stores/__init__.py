"""Shared stores, file stores, secrets and the labeling project (DuckDB-backed).

Other packages use only the names exported here: the `StoreClient` interface, its
in-process implementation and the typed errors, including wirework's one error family
(`WireworkError` and its kinds `NotFound`, `Conflict`, `Invalid`, `Forbidden`,
`Unavailable`), which every layer raises and re-exports.
"""

from . import exit_hygiene  # noqa: F401  (no nanobind leak dump at exit: see the module)
from .client import Record, StoreClient
from .errors import (
    Conflict,
    FileFormatUnsupported,
    FileNotFound,
    FileUnreadable,
    FilePathRefused,
    FilterInvalid,
    Forbidden,
    Invalid,
    NameInvalid,
    NotFound,
    RecordInvalid,
    SecretInvalid,
    SecretNotFound,
    SecretUndecryptable,
    SpreadsheetTooLarge,
    StoreClientClosed,
    StoreError,
    StoreExists,
    StoreMemoryExceeded,
    StoreNotFound,
    StoresLocked,
    Unavailable,
    WireworkError,
    WriteNotFound,
)
from .local_client import LocalStoreClient
from .names import NAME_PATTERN, check_name

__all__ = [
    "NAME_PATTERN",
    "Conflict",
    "FileFormatUnsupported",
    "FileNotFound",
    "FileUnreadable",
    "FilePathRefused",
    "FilterInvalid",
    "Forbidden",
    "Invalid",
    "LocalStoreClient",
    "NameInvalid",
    "NotFound",
    "Record",
    "RecordInvalid",
    "SecretInvalid",
    "SecretNotFound",
    "SecretUndecryptable",
    "SpreadsheetTooLarge",
    "StoreClient",
    "StoreClientClosed",
    "StoreError",
    "StoreExists",
    "StoreMemoryExceeded",
    "StoreNotFound",
    "StoresLocked",
    "Unavailable",
    "WireworkError",
    "WriteNotFound",
    "check_name",
]
