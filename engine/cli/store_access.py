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
from stores.labeling import LABELING_DB_FILE, LabelingStoreClient

from engine.config.paths import data_home


@contextlib.contextmanager
def local_store_access() -> Iterator[tuple[LabelingStoreClient, LocalStoreClient]]:
    """(store_client, secrets) for a run in this process: one in-process client, the first
    wrapped so it also answers `labeling_bundle`."""
    client = LocalStoreClient(data_home())
    # Labeling projects (labeling.enrich) are answered in-process too; their database
    # is opened only if a node asks for a project.
    access = LabelingStoreClient(client, db_path=data_home() / LABELING_DB_FILE)
    try:
        yield access, client
    finally:
        access.close()
