"""HttpStoreClient against a real `wirework up`: every StoreClient method over the API's
existing routes, with the in-process client's error types — and a store node in a worker
run fails with the store's own error (its `except StoreError` fires there too)."""

from __future__ import annotations

import csv
import uuid

import pytest

from engine.client.store_client import HttpStoreClient
from stores import (
    Forbidden, RecordInvalid, SecretInvalid, SecretNotFound, StoreClient, StoreExists, StoreNotFound, Unavailable,
)
from tests.server_harness import wait_for_run


@pytest.fixture
def client(server):
    """With the user's token: the public routes; the internal ones need a run's token."""
    http = HttpStoreClient(server.url, server.token)
    yield http
    http.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_it_is_a_store_client(client):
    assert isinstance(client, StoreClient)


def test_stores_and_records(client):
    name = unique("http")
    assert client.create_store(name)["name"] == name
    with pytest.raises(StoreExists):
        client.create_store(name)
    assert client.create_store(name, exist_ok=True)["count"] == 0
    assert client.upsert(name, [{"id": "a", "n": 1}, {"id": "b", "n": 2}]) == {"inserted": 2, "updated": 0,
                                                                              "unchanged": 0}
    assert [r["id"] for r in client.read(name, where={"n": 2})] == ["b"]
    assert client.browse(name, limit=1)["total"] == 2
    since = client.read_since(name, 0)
    assert [r["id"] for r in since["records"]] == ["a", "b"] and since["last_seq"] >= 2
    assert client.delete(name, ["a"]) == 1
    assert name in {s["name"] for s in client.list_stores()}
    client.drop_store(name)
    with pytest.raises(StoreNotFound) as caught:
        client.describe_store(name)
    assert caught.value.name == name and f'store "{name}" does not exist' in str(caught.value)


def test_secrets_are_managed_but_never_read_with_the_users_token(client):
    name = unique("hook")
    entry = client.set_secret(name, "https://hooks.example.com/T000/B000/XXXX", kind="webhook")
    assert entry["value"].startswith("https://hooks.example.com/") and "T000" not in entry["value"]
    assert client.describe_secret(name)["kind"] == "webhook"
    assert name in {e["name"] for e in client.list_secrets("webhook")}
    assert name not in {e["name"] for e in client.list_secrets("secret")}
    with pytest.raises(SecretInvalid):
        client.set_secret(name, "x", kind="password")
    with pytest.raises(Forbidden):
        client.get_secret(name)  # values go to runs only
    assert client.delete_secret(name) is True and client.delete_secret(name) is False
    with pytest.raises(SecretNotFound):
        client.describe_secret(name)


def test_files_go_up_and_come_back(client, tmp_path):
    name = unique("files")
    source = tmp_path / "rows.csv"
    source.write_text("id,title\n1,first\n2,second\n3,third\n")
    imported = client.import_file(name, str(source))
    assert (imported["rows"], imported["inserted"], imported["format"]) == (3, 3, "csv")
    with pytest.raises(StoreNotFound):
        client.import_file(unique("absent"), str(source), create=False)
    exported = client.export_file(name, str(tmp_path / "out.csv"))
    assert exported["records"] == 3 and exported["bytes"] == (tmp_path / "out.csv").stat().st_size
    with open(tmp_path / "out.csv", newline="") as handle:
        assert sorted(row["id"] for row in csv.DictReader(handle)) == ["1", "2", "3"]


def test_what_no_route_serves_says_so(client):
    for call in (client.list_cursors, client.list_files):
        with pytest.raises(Unavailable, match="no route"):
            call()


def test_a_store_node_in_a_worker_fails_with_the_stores_own_error(api):
    # A missing store is now refused before the run (validation knows the stores); a
    # filter the store itself refuses still reaches the node as the store's error.
    store = unique("filtered")
    api.post("/api/stores", json={"name": store}).raise_for_status()
    wf_id = unique("reads-badly")
    doc = {"id": wf_id, "nodes": [{"id": "read", "type": "store.read",
                                   "config": {"store": store, "mode": "filter", "where": {"a.*": 1}}}], "edges": []}
    assert api.post("/api/workflows", json=doc).status_code == 201
    run = wait_for_run(api, api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"])
    assert run["status"] == "failed"
    error = run["nodes"][0]["error"]
    assert error["type"] == "FilterInvalid" and 'has a wildcard "*"' in error["message"], error


def test_a_store_node_reading_a_store_that_does_not_exist_is_refused_before_it_runs(api):
    missing = unique("nowhere")
    wf_id = unique("reads-missing")
    doc = {"id": wf_id, "nodes": [{"id": "read", "type": "store.read", "config": {"store": missing}}], "edges": []}
    assert api.post("/api/workflows", json=doc).status_code == 201
    started = api.post(f"/api/workflows/{wf_id}/runs", json={})
    assert started.status_code == 422 and missing in started.text and "read" in started.text, started.text


def test_upsert_batches_stages_requests_and_commits_one_write(client, server, monkeypatch):
    import engine.client.store_client as store_client

    monkeypatch.setattr(store_client, "WRITE_BATCH_RECORDS", 7)  # small batches gathered, big ones cut
    name = unique("staged")
    batches = [[{"id": f"r{i}", "n": i} for i in range(lo, hi)] for lo, hi in ((0, 3), (3, 4), (4, 20), (20, 20))]
    wide = {"id": "wide", "n": 10**30}  # beyond 64 bits: stored as its digits, the node does not fail
    assert client.upsert_batches(name, iter([*batches, [wide]]), create=True) == {
        "inserted": 21, "updated": 0, "unchanged": 0}
    records = client.read(name)
    assert [r["id"] for r in records] == [f"r{i}" for i in range(20)] + ["wide"]
    assert records[-1]["n"] == str(10**30)
    assert client.upsert(name, [{"id": "wide2", "n": -(10**30)}])["inserted"] == 1

    def failing():
        yield [{"id": f"x{i}"} for i in range(10)]  # one request of 7 staged before the failure
        raise RuntimeError("the node upstream failed")

    with pytest.raises(RuntimeError):
        client.upsert_batches(name, failing())
    with pytest.raises(RecordInvalid) as caught:
        client.upsert_batches(name, [[{"id": "y"}] * 3, [{"id": "y"}, {"id": None}]])
    assert caught.value.index == 4 and "record 4" in str(caught.value)
    assert client.describe_store(name)["count"] == 22  # neither write left a record
    assert not [p for p in (server.home / "staging").rglob("*") if p.is_file()]  # the first was aborted (DELETE)
    with pytest.raises(StoreNotFound):
        client.upsert_batches(unique("missing"), [[{"id": "a"}]])
