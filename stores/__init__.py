"""Shared stores, file stores, secrets and the labeling project (DuckDB-backed).

Other packages use only the names exported here: the `StoreClient` interface, its
in-process implementation and the typed errors.
"""

from .client import Record, StoreClient
from .errors import (
    FileFormatUnsupported,
    FileNotFound,
    FilePathRefused,
    FilterInvalid,
    NameInvalid,
    RecordInvalid,
    SecretInvalid,
    SecretNotFound,
    StoreClientClosed,
    StoreError,
    StoreExists,
    StoreNotFound,
)
from .local_client import LocalStoreClient
from .names import NAME_PATTERN, check_name

__all__ = [
    "NAME_PATTERN",
    "FileFormatUnsupported",
    "FileNotFound",
    "FilePathRefused",
    "FilterInvalid",
    "LocalStoreClient",
    "NameInvalid",
    "Record",
    "RecordInvalid",
    "SecretInvalid",
    "SecretNotFound",
    "StoreClient",
    "StoreClientClosed",
    "StoreError",
    "StoreExists",
    "StoreNotFound",
    "check_name",
]
