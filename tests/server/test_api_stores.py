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


# -- staged writes (issue 20): upsert_batches over HTTP -----------------------------------
def staged(api, store, batches, create=False):
    opened = api.post(f"/api/stores/{store}/writes", params={"create": create})
    assert opened.status_code == 201, opened.text
    path = f"/api/stores/{store}/writes/{opened.json()['write_id']}"
    answers = [api.post(f"{path}/batches", json=batch) for batch in batches]
    return path, answers


def seq_layout(api, store):
    """Which ids each seq boundary shows: equal layouts mean equal seqs per record."""
    last_seq = api.get(f"/api/stores/{store}/since", params={"after_seq": 0}).json()["last_seq"]
    return [[r["id"] for r in api.get(f"/api/stores/{store}/since", params={"after_seq": k}).json()["records"]]
            for k in range(last_seq + 1)]


def staging_files(server):
    return [p for p in (server.home / "staging").rglob("*") if p.is_file()]


def test_a_multi_batch_write_over_http_equals_one_upsert(api):
    one, many = name("one"), name("many")
    rounds = [([[{"id": "a", "v": 1}, {"id": "b"}], [{"id": "c"}, {"id": "a", "v": 2}], []], True),
              ([[{"id": "a", "v": 2}, {"id": "n"}], [{"id": "b", "v": 5}]], False)]
    for batches, create in rounds:
        expected = api.post(f"/api/stores/{one}/records", params={"create": create},
                            json=[r for batch in batches for r in batch]).json()
        path, answers = staged(api, many, batches, create)
        assert [a.json() for a in answers] == [{"received": len(b), "staged": sum(map(len, batches[:i + 1]))}
                                               for i, b in enumerate(batches)]
        committed = api.post(f"{path}/commit")
        assert committed.status_code == 200 and committed.json() == expected, committed.text
    assert expected == {"inserted": 1, "updated": 1, "unchanged": 1}
    assert seq_layout(api, many) == seq_layout(api, one)
    assert api.get(f"/api/stores/{many}/records").json()["records"] == api.get(f"/api/stores/{one}/records"
                                                                              ).json()["records"]


def test_a_bad_record_in_a_later_batch_is_422_naming_it_and_stores_nothing(api, server):
    store = name()
    path, answers = staged(api, store, [[{"id": "ok"}], [{"id": "fine"}, {"id": "", "v": 1}]], create=True)
    assert answers[0].status_code == 200
    bad = answers[1]
    assert bad.status_code == 422 and bad.json()["record_id"] == "" and bad.json()["index"] == 2
    assert f'store "{store}": record 2 (id "")' in bad.json()["detail"]
    gone = api.post(f"{path}/commit")  # the refused record aborted the write
    assert gone.status_code == 404 and path.rsplit("/", 1)[1] in gone.json()["detail"]
    assert api.get(f"/api/stores/{store}").status_code == 404
    path, answers = staged(api, store, [[{"id": "ok"}]], create=True)
    garbage = api.post(f"{path}/batches", content=b"[{not json", headers={"Content-Type": "application/json"})
    assert garbage.status_code == 422 and api.post(f"{path}/commit").status_code == 404
    missing = api.post(f"/api/stores/{name('none')}/writes")
    assert missing.status_code == 404 and "does not exist" in missing.json()["detail"]
    assert staging_files(server) == []


def test_an_aborted_write_leaves_nothing(api, server):
    store = name()
    path, answers = staged(api, store, [[{"id": f"r{i}"} for i in range(100)]], create=True)
    assert answers[0].status_code == 200 and staging_files(server)
    assert api.delete(path).status_code == 204
    assert staging_files(server) == []
    again = api.delete(path)
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    assert api.get(f"/api/stores/{store}").status_code == 404


STAGER = '''
def node(record):
    import gc, os, httpx
    token = next(c.headers["authorization"] for c in gc.get_objects()
                 if isinstance(c, httpx.Client) and str(c.headers.get("authorization", "")).startswith("Bearer run-"))
    api = os.environ["WIREWORK_API_URL"]
    statuses = {}
    for store in (DECLARED, OTHER):
        answer = httpx.post(f"{api}/api/stores/{store}/writes?create=true", headers={"Authorization": token})
        statuses[store] = answer.status_code
        if answer.status_code == 201:
            path = f"{api}/api/stores/{store}/writes/{answer.json()['write_id']}"
            httpx.post(path + "/batches", json=[{"id": "from-run"}], headers={"Authorization": token})
            statuses["commit"] = httpx.post(path + "/commit", headers={"Authorization": token}).status_code
    return {"id": "report", **statuses}
'''


def test_a_run_opens_writes_only_on_the_stores_its_workflow_names(api):
    declared, other, wf = name("mine"), name("theirs"), name("stager")
    api.post(f"/api/stores/{other}/records", params={"create": True}, json=[{"id": "theirs"}]).raise_for_status()
    code = STAGER.replace("DECLARED", repr(declared)).replace("OTHER", repr(other))
    doc = {"id": wf, "nodes": [
        {"id": "stage", "type": "python.map", "config": {"code": code}},
        {"id": "write", "type": "store.write", "config": {"store": declared}},
    ], "edges": [{"source": "stage", "target": "write"}]}
    api.post("/api/workflows", json=doc).raise_for_status()
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    assert run["status"] == "completed", run
    report = next(r for r in api.get(f"/api/stores/{declared}/records").json()["records"] if r["id"] == "report")
    assert report[declared] == 201 and report["commit"] == 200 and report[other] == 403
    assert [r["id"] for r in api.get(f"/api/stores/{other}/records").json()["records"]] == ["theirs"]
