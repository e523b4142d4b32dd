"""A store.read wired after a store.write runs after it in the same run and reads the
store (not its input records): the stock-news shape scrape → write ; write → read → …"""

from __future__ import annotations

import pytest

from engine.execution.local_run import run_workflow
from stores import LocalStoreClient
from tests.builders import node, workflow

pytestmark = pytest.mark.usefixtures("prefect_api_url")


def test_read_after_write_sees_this_runs_new_records_only(app_db, tmp_path):
    client = LocalStoreClient(tmp_path / "stores")
    try:
        client.upsert("news", [{"id": "old", "title": "already there"}], create=True)
        wf = workflow([
            node("scrape", "python.yield",
                 "def node(r):\n    for i in range(3):\n        yield {'id': f'n{i}', 'title': f'new {i}'}\n"),
            node("write", "store.write", config={"store": "news"}),
            node("read", "store.read", config={"store": "news", "mode": "incremental"}),
            node("ids", "python.aggregate", "def node(rs):\n    return {'id': 'ids', 'ids': sorted(r['id'] for r in rs)}\n"),
        ], [("scrape", "write"), ("write", "read"), ("read", "ids")])
        first = run_workflow(wf, app_db=app_db, store_client=client)
        assert first.status == "completed"
        assert first.nodes["read"].records_in == 3  # it waited for the write...
        assert first.nodes["ids"].sample[0]["ids"] == ["n0", "n1", "n2", "old"]  # ...and read the store
        second = run_workflow(wf, app_db=app_db, store_client=client)
        assert second.nodes["ids"].sample[0]["ids"] == []  # re-scraped, unchanged: nothing new
    finally:
        client.close()
