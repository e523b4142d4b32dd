"""Fixtures for the labeling tests: the shipped embedding model loaded once per session,
a real shared store (in-process StoreClient on a DuckDB file) and a LabelingService on
its own DuckDB file. Import the fixtures into a test module to use them."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2 on CPU, loaded once; the service and the node share it
    because `get_embedder` keeps one instance per process."""
    from stores.labeling import get_embedder

    # The device `pick_device` chooses: CPU here (no GPU), CUDA on a machine that has one.
    return get_embedder().ensure_loaded()


@pytest.fixture
def store_client(tmp_path):
    from stores.local_client import LocalStoreClient

    client = LocalStoreClient(tmp_path / "stores")
    yield client
    client.close()


@pytest.fixture
def service(tmp_path, store_client):
    from stores.labeling import LabelingService

    svc = LabelingService(tmp_path / "labeling.duckdb", store_client)
    yield svc
    svc.close()
