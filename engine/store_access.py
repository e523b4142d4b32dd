"""How a flow-run process reaches stores and secrets.

Without a server the process opens the stores itself: an in-process `LocalStoreClient`
over `stores.duckdb` in the data folder, which also answers secrets
(`get_secret`). It is closed when the run ends, so the file is free for the next owner.
With a server, flow runs use the HTTP client instead (engine/http_store_client.py).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from stores import LocalStoreClient

from .paths import data_home


@contextlib.contextmanager
def local_store_access() -> Iterator[tuple[LocalStoreClient, LocalStoreClient]]:
    """(store_client, secrets) for a run in this process; both are the same client."""
    client = LocalStoreClient(data_home())
    try:
        yield client, client
    finally:
        client.close()
