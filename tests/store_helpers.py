"""Fixtures and record builders for the stores tests: a real `stores.duckdb` in a tmp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from stores import LocalStoreClient


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def store_client(data_dir):
    client = LocalStoreClient(data_dir)
    yield client
    client.close()


def article(i: int, **extra) -> dict:
    """A record shaped like a scraped article."""
    return {"id": f"a{i}", "title": f"Headline {i}", "url": f"https://news.example/{i}",
            "body": f"Body of article {i}. " * 10, "meta": {"lang": "en" if i % 2 else "de", "rank": i}, **extra}
