"""Stores and secrets through the API, and flow runs in worker processes reaching the
stores over HTTP (the API process owns the DuckDB files)."""

from __future__ import annotations

import io
import json
import uuid

from tests.server_harness import wait_for_run


def name(prefix="s"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_store_crud_browse_and_errors(api):
    store = name()
    assert api.post("/api/stores", json={"name": store}).status_code == 201
    assert api.post("/api/stores", json={"name": store}).status_code == 409
    counts = api.post(f"/api/stores/{store}/records", json=[{"id": str(i), "ticker": "A" if i % 2 else "B"}
                                                            for i in range(10)]).json()
    assert counts["inserted"] == 10
    page = api.get(f"/api/stores/{store}/records", params={"limit": 3, "where": json.dumps({"ticker": "A"})}).json()
    assert page["total"] == 5 and len(page["records"]) == 3
    assert store in [s["name"] for s in api.get("/api/stores").json()]
    assert api.get(f"/api/stores/{store}").json()["count"] == 10
    assert api.get(f"/api/stores/{store}/records", params={"where": "{bad"}).status_code == 422
    assert api.get("/api/stores/no-such-store/records").status_code == 404
    bad = api.post("/api/stores", json={"name": "Bad Name"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    assert api.delete(f"/api/stores/{store}").status_code == 204


def test_bad_batch_names_the_record_and_stores_nothing(api):
    store = name()
    api.post("/api/stores", json={"name": store})
    api.post(f"/api/stores/{store}/records", json=[{"id": "keep", "v": 1}])
    bad = api.post(f"/api/stores/{store}/records", json=[{"id": "new", "v": 2}, {"v": "no id"}])
    assert bad.status_code == 422 and store in bad.json()["detail"]
    assert [r["id"] for r in api.get(f"/api/stores/{store}/records").json()["records"]] == ["keep"]


def test_upload_and_download_files(api):
    store = name()
    csv = "id,title,score\na,Acme up,1\nb,Globex down,2\n"
    up = api.post(f"/api/stores/{store}/upload", files={"file": ("news.csv", io.BytesIO(csv.encode()), "text/csv")})
    assert up.status_code == 200, up.text
    assert up.json()["rows"] == 2
    down = api.get(f"/api/stores/{store}/download", params={"format": "jsonl"})
    rows = [json.loads(line) for line in down.text.splitlines()]
    assert sorted(r["title"] for r in rows) == ["Acme up", "Globex down"]
    assert api.post(f"/api/stores/{store}/upload", files={"file": ("x.exe", b"MZ")}).status_code == 422
    assert api.get(f"/api/stores/{store}/download", params={"format": "exe"}).status_code == 422


def test_secrets_are_write_only(api, server):
    secret = name("tok")
    value = "xoxb-" + uuid.uuid4().hex
    set_response = api.put(f"/api/secrets/{secret}", json={"value": value})
    assert set_response.status_code == 200 and value not in set_response.text
    listed = api.get("/api/secrets")
    assert secret in listed.text and value not in listed.text
    assert api.get(f"/api/secrets/{secret}").status_code in (404, 405)
    assert value not in server.log()
    assert api.delete(f"/api/secrets/{secret}").status_code == 204
    assert api.delete(f"/api/secrets/{secret}").status_code == 404


def test_flow_in_a_worker_reads_and_writes_stores_over_http_incrementally(api):
    source, target = name("news"), name("copy")
    api.post(f"/api/stores/{source}/records", params={"create": True},
             json=[{"id": f"a{i}", "title": f"t{i}"} for i in range(5)])
    wf = name("flow")
    doc = {"id": wf, "nodes": [
        {"id": "read", "type": "store.read", "config": {"store": source, "mode": "incremental"}},
        {"id": "write", "type": "store.write", "config": {"store": target}},
    ], "edges": [{"source": "read", "target": "write"}]}
    created = api.post("/api/workflows", json=doc)
    assert created.status_code == 201 and created.json()["problems"] == [], created.text
    first = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    assert first["status"] == "completed", first
    assert api.get(f"/api/stores/{target}").json()["count"] == 5
    api.post(f"/api/stores/{source}/records", json=[{"id": "a9", "title": "new"}])
    second = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    read = next(n for n in second["nodes"] if n["node_id"] == "read")
    assert read["records_out"] == 1  # only the record written since the last successful run
    assert api.get(f"/api/stores/{target}").json()["count"] == 6



def test_a_refused_batch_in_a_worker_leaves_no_empty_store(api):
    store, wf = name("fresh"), name("bad-batch")
    doc = {"id": wf, "nodes": [
        {"id": "gen", "type": "python.yield",
         "config": {"code": "def node(r):\n    yield {'id': 'ok'}\n    yield {'id': 'bad', 'v': complex(1, 2)}\n"}},
        {"id": "write", "type": "store.write", "config": {"store": store}},
    ], "edges": [{"source": "gen", "target": "write"}]}
    api.post("/api/workflows", json=doc).raise_for_status()
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    write = next(n for n in run["nodes"] if n["node_id"] == "write")
    assert run["status"] == "failed" and store in write["error"]["message"] and "bad" in write["error"]["message"]
    assert api.get(f"/api/stores/{store}").status_code == 404
