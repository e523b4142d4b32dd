"""store.read / store.write through the real executor and a real Prefect server:
incremental cursors across runs, failed runs, retried writes, secrets kept out of run
data, and `wirework run` using the in-process store client."""

from __future__ import annotations

import json
import subprocess

import orjson
import pytest

from engine.execution.local_run import run_workflow
from nodes.store_nodes import StoreRead, StoreReadConfig
from stores import LocalStoreClient
from tests.builders import node, workflow
from tests.store_helpers import article

pytestmark = pytest.mark.usefixtures("prefect_api_url")


@pytest.fixture
def client(wirework_home):
    store_client = LocalStoreClient(wirework_home)
    yield store_client
    store_client.close()


def reader(mode: str = "incremental", **config) -> dict:
    return node("read", "store.read", config={"store": "news", "mode": mode, **config})


COLLECT = "def node(records):\n    return {'id': 'seen', 'ids': [r['id'] for r in records]}\n"


def seen(summary) -> list[str]:
    return summary.nodes["collect"].sample[0]["ids"]


def incremental_flow(fail_marker=None):
    check = "def node(records):\n    return {'id': 'seen', 'ids': [r['id'] for r in records]}\n"
    if fail_marker is not None:
        check = (f"def node(records):\n    import pathlib\n    if not pathlib.Path({str(fail_marker)!r}).exists():\n"
                 "        raise RuntimeError('downstream is down')\n"
                 "    return {'id': 'seen', 'ids': [r['id'] for r in records]}\n")
    return workflow([reader(), node("collect", "python.aggregate", check)], [("read", "collect")], wf_id="digest")


def test_incremental_read_returns_only_records_written_since_the_last_successful_run(app_db, client):
    client.upsert("news", [article(1), article(2)], create=True)
    wf = incremental_flow()
    first = run_workflow(wf, app_db=app_db, store_client=client)
    assert first.status == "completed" and seen(first) == ["a1", "a2"]
    client.upsert("news", [article(2, title="corrected"), article(3), article(1)])  # a1 unchanged
    second = run_workflow(wf, app_db=app_db, store_client=client)
    assert seen(second) == ["a2", "a3"]  # the changed record and the new one
    third = run_workflow(wf, app_db=app_db, store_client=client)
    assert third.status == "completed" and seen(third) == []
    assert "read 0 new record(s)" in third.nodes["read"].logs


def test_a_failed_run_does_not_advance_the_cursor(app_db, client, tmp_path):
    client.upsert("news", [article(1), article(2)], create=True)
    marker = tmp_path / "downstream-is-up"
    wf = incremental_flow(fail_marker=marker)
    failed = run_workflow(wf, app_db=app_db, store_client=client)
    assert failed.status == "failed" and failed.nodes["read"].status == "completed"
    assert client.get_cursor("digest", "read", "news") == 0
    client.upsert("news", [article(3)])
    marker.write_text("up")
    retried = run_workflow(wf, app_db=app_db, store_client=client)
    assert retried.status == "completed" and seen(retried) == ["a1", "a2", "a3"]  # nothing lost
    assert client.get_cursor("digest", "read", "news") == 3


def test_incremental_limit_reads_the_backlog_in_batches(app_db, client):
    client.upsert("news", [article(i) for i in range(1, 6)], create=True)
    wf = workflow([reader(limit=2), node("collect", "python.aggregate", COLLECT)], [("read", "collect")])
    batches = [seen(run_workflow(wf, app_db=app_db, store_client=client)) for _ in range(3)]
    assert batches == [["a1", "a2"], ["a3", "a4"], ["a5"]]


def test_read_modes_all_filter_and_limit(app_db, client):
    client.upsert("news", [article(i) for i in range(1, 6)], create=True)
    modes = {"all": {"mode": "all"}, "filter": {"mode": "filter", "where": {"meta.lang": "de"}},
             "limit": {"mode": "limit", "limit": 2}}
    nodes, edges = [], []
    for name, config in modes.items():
        nodes += [node(f"read_{name}", "store.read", config={"store": "news", **config}),
                  node(f"collect_{name}", "python.aggregate", COLLECT)]
        edges.append((f"read_{name}", f"collect_{name}"))
    summary = run_workflow(workflow(nodes, edges), app_db=app_db, store_client=client)
    got = {name: summary.nodes[f"collect_{name}"].sample[0]["ids"] for name in modes}
    assert got == {"all": ["a1", "a2", "a3", "a4", "a5"], "filter": ["a2", "a4"], "limit": ["a1", "a2"]}


def test_read_config_problems_are_caught_before_running():
    with pytest.raises(ValueError, match='mode "filter" needs'):
        StoreReadConfig(store="news", mode="filter")
    with pytest.raises(ValueError, match="pattern"):
        StoreReadConfig(store="News!")
    assert StoreRead.describe()["config_schema"]["properties"]["store"]["format"] == "store"


def write_flow(fail_marker, wf_id="ingest"):
    source = "def node(record):\n    for i in range(50):\n        yield {'id': f'r{i}', 'n': i}\n"
    after = (f"def node(record):\n    import pathlib\n    if not pathlib.Path({str(fail_marker)!r}).exists():\n"
             "        raise RuntimeError('mid-flow failure')\n    return record\n")
    return workflow([
        node("make", "python.yield", source),
        node("save", "store.write", config={"store": "items"}),
        node("after", "python.map", after),
    ], [("make", "save"), ("save", "after")], wf_id=wf_id)


def test_a_run_failing_after_the_write_and_run_again_leaves_no_duplicates(app_db, client, tmp_path):
    marker = tmp_path / "fixed"
    wf = write_flow(marker)
    first = run_workflow(wf, app_db=app_db, store_client=client)
    assert first.status == "failed" and first.nodes["save"].status == "completed"
    assert "50 inserted, 0 updated, 0 unchanged" in first.nodes["save"].logs
    assert first.nodes["save"].records_out == 50  # passes its records on
    marker.write_text("fixed")
    second = run_workflow(wf, app_db=app_db, store_client=client)
    assert second.status == "completed"
    assert "0 inserted, 0 updated, 50 unchanged" in second.nodes["save"].logs
    assert client.describe_store("items")["count"] == 50
    assert sorted(r["n"] for r in client.read("items")) == list(range(50))


class ReplyLostOnce(LocalStoreClient):
    """The failure a retry exists for: the write commits, but the caller never hears back
    (as when an HTTP response is lost), so the node fails and Prefect retries it."""

    lost = False

    def upsert_batches(self, name, batches, **kwargs):  # what store.write calls
        counts = super().upsert_batches(name, batches, **kwargs)
        if not self.lost:
            self.lost = True
            raise ConnectionError("connection reset before the reply arrived")
        return counts


def test_a_store_write_retried_after_a_lost_reply_counts_exactly(app_db, wirework_home, tmp_path):
    marker = tmp_path / "fixed"
    marker.write_text("fixed")
    wf = write_flow(marker)
    wf.nodes[1].retries = 1
    with ReplyLostOnce(wirework_home / "flaky") as flaky:
        summary = run_workflow(wf, app_db=app_db, store_client=flaky)
        assert summary.status == "completed" and summary.nodes["save"].attempts == 2
        assert "0 inserted, 0 updated, 50 unchanged" in summary.nodes["save"].logs
        assert flaky.describe_store("items")["count"] == 50


def test_a_bad_record_fails_the_write_naming_the_record_and_stores_nothing(app_db, client):
    source = "def node(record):\n    yield {'id': 'ok'}\n    yield {'id': 'bad', 'v': {1, 2} and object()}\n"
    wf = workflow([node("make", "python.yield", source), node("save", "store.write", config={"store": "items"})],
                  [("make", "save")])
    summary = run_workflow(wf, app_db=app_db, store_client=client)
    error = summary.nodes["save"].error
    assert summary.status == "failed" and error["type"] == "RecordInvalid" and error["record_id"] == "bad"
    assert 'store "items": record 1 (id "bad") is not JSON-serialisable' in error["message"]
    assert client.list_stores() == []


def test_secret_values_stay_out_of_run_history_samples_and_logs(app_db, client, wirework_home, httpserver):
    token = "tok-7f3a9c2e51d04b"
    httpserver.expect_request(f"/hooks/{token}", method="POST").respond_with_json({"ok": True})
    client.set_secret("alerts", httpserver.url_for(f"/hooks/{token}"), kind="webhook")
    client.upsert("news", [article(1), article(2)], create=True)
    wf = workflow([
        reader(mode="all"),
        node("notify", "webhook.post", config={"target": "alerts", "max_retries": 0}),
        node("save", "store.write", config={"store": "notified"}),
    ], [("read", "notify"), ("notify", "save")])
    summary = run_workflow(wf, app_db=app_db, store_client=client)
    assert summary.status == "completed" and len(httpserver.log) == 2  # the secret URL was used
    run = app_db.get_run(summary.run_id)
    assert token not in orjson.dumps(run, default=str).decode()
    for result in summary.nodes.values():
        assert token not in (result.logs or "") and token not in json.dumps(result.sample, default=str)
    app_db.checkpoint()
    for path in wirework_home.rglob("*"):
        if path.is_file() and path.suffix in (".duckdb", ".wal"):
            assert token.encode() not in path.read_bytes(), path


def test_wirework_run_uses_the_in_process_store_client(wirework_cmd, cli_env, wirework_home, tmp_path):
    source = "def node(record):\n    for i in range(5):\n        yield {'id': f'r{i}', 'n': i}\n"
    wf = workflow([node("make", "python.yield", source), node("save", "store.write", config={"store": "items"})],
                  [("make", "save")], wf_id="cli-ingest")
    path = tmp_path / "ingest.json"
    path.write_text(wf.to_json())
    result = subprocess.run([*wirework_cmd, "run", str(path)], capture_output=True, text=True, env=cli_env,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    with LocalStoreClient(wirework_home) as store_client:  # the CLI closed the file when it finished
        assert [r["n"] for r in store_client.read("items")] == [0, 1, 2, 3, 4]
