"""Bad input never earns a 5xx (issue 17, part 5): each case the fault drill found answers
a clear 4xx naming what was wrong, against a real `wirework up` whose body limit is set
low (WIREWORK_MAX_BODY_MB=1) so the 413s are cheap to provoke."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from tests.server_harness import ServerProcess, wait_for_run

BEYOND_INT64 = 2**63 + 5
NEVER_FIRES = "0 0 31 2 *"


@pytest.fixture(scope="module")
def small_server(prefect_api_url, tmp_path_factory):
    proc = ServerProcess(tmp_path_factory.mktemp("bad-input-home"), prefect_api_url, flows=None,
                         extra_env={"WIREWORK_MAX_BODY_MB": "1"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def client(small_server):
    with small_server.client() as c:
        yield c


def _store(client) -> str:
    name = f"s-{uuid.uuid4().hex[:8]}"
    client.post(f"/api/stores/{name}/records", params={"create": True},
                json=[{"id": "a", "title": "Acme up"}, {"id": "b", "title": "Globex down"}]).raise_for_status()
    return name


def _refused(response, status: int, *words: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    for word in words:
        assert word in body["detail"], (word, body)
    return body


def test_a_wildcard_filter_path_is_refused_on_query_and_browse(client):
    store = _store(client)
    _refused(client.post(f"/api/stores/{store}/query", json={"where": {"*": 1}}), 422, store, "*")
    _refused(client.get(f"/api/stores/{store}/records", params={"where": json.dumps({"a.*": 1})}), 422, store, "a.*")
    _refused(client.get(f"/api/stores/{store}/records", params={"where": json.dumps({"$..x": 1})}), 422, store)
    # an ordinary nested path still filters
    assert client.post(f"/api/stores/{store}/query", json={"where": {"title": "Acme up"}}).json()["records"][0]["id"] == "a"


def test_limits_and_offsets_beyond_int64_are_refused(client):
    store = _store(client)
    for body in ({"limit": BEYOND_INT64}, {"offset": BEYOND_INT64}, {"limit": -1}):
        _refused(client.post(f"/api/stores/{store}/query", json=body), 422)
    for params in ({"offset": BEYOND_INT64}, {"limit": BEYOND_INT64}, {"offset": "x"}):
        _refused(client.get(f"/api/stores/{store}/records", params=params), 422)
    for params in ({"after_seq": BEYOND_INT64}, {"after_seq": 0, "limit": BEYOND_INT64}):
        _refused(client.get(f"/api/stores/{store}/since", params=params), 422)
    project = f"p-{uuid.uuid4().hex[:8]}"
    client.post("/api/labeling/projects", json={"name": project, "store": store}).raise_for_status()
    for params in ({"offset": BEYOND_INT64}, {"limit": BEYOND_INT64}):
        _refused(client.get(f"/api/labeling/projects/{project}/records", params=params), 422)
    # the largest accepted offset still answers (an empty page)
    assert client.get(f"/api/stores/{store}/records", params={"offset": 2**62}).json()["records"] == []


@pytest.mark.parametrize("filename, content", [
    ("garbage.parquet", b"PAR1 this is not a parquet file at all"),
    ("binary.csv", bytes(range(256)) * 64),
    ("broken.jsonl", b'{"id": "a", "title": "ok"}\n{"id": "b", "title": \n'),
])
def test_an_upload_that_does_not_parse_is_refused_with_its_name(client, filename, content):
    store = f"u-{uuid.uuid4().hex[:8]}"
    body = _refused(client.post(f"/api/stores/{store}/upload", files={"file": (filename, io.BytesIO(content))}),
                    422, filename)
    assert body["error"] in ("invalid_file", "invalid_request")
    assert client.get(f"/api/stores/{store}").status_code == 404  # nothing half-imported


def test_a_cron_that_never_fires_is_refused_with_its_reason(client):
    body = _refused(client.get("/api/cron/next", params={"cron": NEVER_FIRES}), 422, "never", "February")
    assert body["error"] == "invalid_cron"
    assert client.get("/api/cron/next", params={"cron": "0 0 29 2 *"}).status_code == 200  # leap days do come


def test_a_saved_schedule_that_never_fires_is_a_problem_and_its_endpoint_answers(client):
    wf = f"cron-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf, "name": wf, "nodes": [], "edges": [],
           "schedule": {"cron": NEVER_FIRES, "timezone": "UTC", "enabled": True}}
    saved = client.post("/api/workflows", json=doc)
    assert saved.status_code == 201, saved.text
    problems = [p for p in saved.json()["problems"] if p["code"] == "schedule"]
    assert problems and "never" in problems[0]["message"]
    # An invalid version is not scheduled (issue 16): its schedule endpoint says why, 422.
    schedule = client.get(f"/api/workflows/{wf}/schedule")
    assert schedule.status_code == 422, schedule.text
    assert schedule.json()["error"] == "workflow_invalid" and "never fires" in schedule.json()["detail"]
    assert f'workflow "{wf}" version 1' in schedule.json()["detail"]


def test_weak_supervision_constants_are_bounded(client):
    store = _store(client)
    project = f"p-{uuid.uuid4().hex[:8]}"
    client.post("/api/labeling/projects", json={"name": project, "store": store}).raise_for_status()
    for body in ({"c": 1e308}, {"k": -1e308}, {"default_precision": 2.0}):
        response = client.put(f"/api/labeling/projects/{project}/weak-supervision", json=body)
        assert response.status_code == 422, response.text
        assert next(iter(body)) in response.json()["detail"]
    assert client.put(f"/api/labeling/projects/{project}/weak-supervision", json={"c": 9}).json()["c"] == 9


def test_every_route_has_a_body_limit(client):
    big = "x" * (1024 * 1024 + 10)
    for method, path, payload in [
        ("POST", "/api/workflows", {"id": "big", "name": "big", "description": big, "nodes": [], "edges": []}),
        ("POST", f"/api/stores/{_store(client)}/records", [{"id": "a", "text": big}]),
        ("POST", "/api/validate", {"id": "big", "name": big, "nodes": [], "edges": []}),
    ]:
        body = _refused(client.request(method, path, json=payload), 413, "1 MB", "WIREWORK_MAX_BODY_MB")
        assert body["error"] == "payload_too_large"
    assert "big" not in [w["id"] for w in client.get("/api/workflows").json()]  # nothing was stored

    def chunks():  # no Content-Length: the limit is counted while the body streams in
        for _ in range(3):
            yield b"[" + b" " * (512 * 1024)

    streamed = client.post("/api/workflows", content=chunks(), headers={"content-type": "application/json"})
    _refused(streamed, 413, "1 MB")
    assert client.get("/api/health").status_code == 200  # the connection still works


def _writer(client, store: str, records: int) -> str:
    """A workflow whose store.write node upserts `records` records of 10 KB in one batch."""
    wf = f"write-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf, "name": wf, "nodes": [
        {"id": "gen", "type": "python.yield",
         "config": {"code": f"def node(r):\n    for i in range({records}):\n        yield {{'id': str(i), 'text': 'x' * 10_000}}\n"}},
        {"id": "write", "type": "store.write", "config": {"store": store, "create": True}},
    ], "edges": [{"source": "gen", "target": "write"}]}
    client.post("/api/workflows", json=doc).raise_for_status()
    return wf


def test_a_runs_store_write_meets_the_body_limit_too(client):
    """A run's token buys no bigger body: store.write streams its input as a staged write
    (POST …/writes/{id}/batches with the run token, engine/client/store_client.py), and a
    2 MB request of it is answered 413 like a user's — the node fails naming the limit, the
    write is aborted and nothing is written, not even the store; 50 records go through."""
    store = f"w-{uuid.uuid4().hex[:8]}"
    run = wait_for_run(client, client.post(f"/api/workflows/{_writer(client, store, 200)}/runs", json={}).json()["run_id"],
                       timeout_s=120)
    assert run["status"] == "failed", run
    nodes = {node["node_id"]: node for node in run["nodes"]}
    assert nodes["gen"]["status"] == "completed" and nodes["write"]["status"] == "failed"
    message = nodes["write"]["error"]["message"]
    assert "larger than 1 MB" in message and "WIREWORK_MAX_BODY_MB" in message, message
    assert client.get(f"/api/stores/{store}").status_code == 404  # all or nothing: not even created
    small = wait_for_run(client, client.post(f"/api/workflows/{_writer(client, store, 50)}/runs", json={}).json()["run_id"],
                         timeout_s=120)
    assert small["status"] == "completed", small
    assert client.get(f"/api/stores/{store}").json()["count"] == 50
