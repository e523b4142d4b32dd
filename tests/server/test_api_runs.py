"""Runs through a real server: run-now, live events, webhook triggers, cancel and
crash detection. User code runs in worker processes, never in the API process."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import httpx
import pytest

from tests.server_harness import wait_for_run, wait_until


def create(api, nodes, edges=(), **extra) -> str:
    wf_id = f"run-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges], **extra}
    assert api.post("/api/workflows", json=doc).status_code == 201
    return wf_id


def py(node_id, type_, code, **extra):
    return {"id": node_id, "type": type_, "config": {"code": code}, **extra}


ECHO_PID = "def node(record):\n    import os\n    return {'id': 'me', 'pid': os.getpid(), 'trigger': record}\n"


def test_run_now_completes_in_a_worker_process(api, server):
    wf = create(api, [py("who", "python.map", ECHO_PID)])
    response = api.post(f"/api/workflows/{wf}/runs", json={"payload": {"ticker": "ACME"}})
    assert response.status_code == 202
    run = wait_for_run(api, response.json()["run_id"])
    assert run["status"] == "completed" and run["trigger"]["trigger"] == "manual"
    [record] = api.get(f"/api/runs/{run['id']}/nodes/who/output").json()["records"]
    assert record["trigger"]["payload"] == {"ticker": "ACME"}
    assert record["pid"] != server.process.pid  # user code never ran inside the API process


def test_run_detail_output_paging_and_logs(api):
    wf = create(api, [
        py("gen", "python.yield", "def node(r):\n    for i in range(30):\n        yield {'id': str(i)}\n"),
        py("say", "python.map", "def node(r):\n    print('hello', r['id'])\n    return r\n"),
    ], [("gen", "say")])
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert nodes["say"]["records_in"] == 30 and nodes["say"]["records_out"] == 30 and nodes["say"]["duration_s"] >= 0
    page = api.get(f"/api/runs/{run['id']}/nodes/say/output", params={"offset": 5, "limit": 3}).json()
    assert [r["id"] for r in page["records"]] == ["5", "6", "7"] and page["total"] == 30
    logs = api.get(f"/api/runs/{run['id']}/nodes/say/logs").json()["logs"]
    assert "hello 0" in logs and "hello 29" in logs
    assert api.get(f"/api/runs/{run['id']}/nodes/ghost/output").status_code == 404
    listed = api.get("/api/runs", params={"workflow_id": wf}).json()
    assert [r["id"] for r in listed] == [run["id"]]


def test_failed_run_reports_node_record_and_line(api):
    wf = create(api, [
        py("gen", "python.yield", "def node(r):\n    yield {'id': 'zero', 'v': 0}\n"),
        py("div", "python.map", "def node(record):\n    return {'x': 1 / record['v']}\n"),
        py("after", "python.map", "def node(r):\n    return r\n"),
    ], [("gen", "div"), ("div", "after")])
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert run["status"] == "failed"
    assert nodes["div"]["error"]["record_id"] == "zero" and nodes["div"]["error"]["line"] == 2
    assert nodes["after"]["status"] == "not_run"


def read_sse(client: httpx.Client, path: str, until: str, timeout_s: float = 60.0) -> list[tuple[str, dict]]:
    events = []
    with client.stream("GET", path, timeout=timeout_s) as response:
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))
                if event == until:
                    break
    return events


def test_live_events_over_sse(api, server):
    wf = create(api, [
        py("slow", "python.map", "def node(r):\n    import time\n    time.sleep(1.5)\n    return r\n"),
        py("next", "python.map", "def node(r):\n    return r\n"),
    ], [("slow", "next")])
    run_id = api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"]
    with server.client() as client:
        events = read_sse(client, f"/api/runs/{run_id}/events", until="run_finished")
    names = [name for name, _ in events]
    assert names[0] == "run_state" and names[-1] == "run_finished"
    finished = [data for name, data in events if name == "node_finished"]
    assert [d["node_id"] for d in finished] == ["slow", "next"] and all(d["status"] == "completed" for d in finished)
    assert events[-1][1]["status"] == "completed"


def test_webhook_trigger_carries_the_json_body(api):
    wf = create(api, [py("src", "python.map", "def node(r):\n    return {'id': 'got', 'payload': r['payload'], 'trigger': r['trigger']}\n")])
    hook = api.get(f"/api/workflows/{wf}/webhook").json()
    response = httpx.post(hook["url"], json={"ticker": "ACME", "price": 12.5})
    assert response.status_code == 202
    run = wait_for_run(api, response.json()["run_id"])
    [record] = api.get(f"/api/runs/{run['id']}/nodes/src/output").json()["records"]
    assert record == {"id": "got", "payload": {"ticker": "ACME", "price": 12.5}, "trigger": "webhook"}


def test_webhook_wrong_token_is_404_and_large_body_413(api, server):
    wf = create(api, [py("src", "python.map", "def node(r):\n    return r\n")])
    assert httpx.post(f"{server.url}/hooks/{wf}/not-the-token", json={}).status_code == 404
    assert httpx.post(f"{server.url}/hooks/no-such-flow/x", json={}).status_code == 404
    hook = api.get(f"/api/workflows/{wf}/webhook").json()
    big = httpx.post(hook["url"], content=b"[" + b"1," * 600_000 + b"1]", headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
    assert httpx.post(hook["url"], content=b"not json").status_code == 422
    assert api.get("/api/runs", params={"workflow_id": wf}).json() == []  # none of these started a run


def test_cancel_stops_a_running_flow(api):
    wf = create(api, [py("sleepy", "python.map", "def node(r):\n    import time\n    time.sleep(120)\n    return r\n"),
                      py("after", "python.map", "def node(r):\n    return r\n")], [("sleepy", "after")])
    run_id = api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"]
    wait_until(lambda: any(n["status"] == "running" for n in api.get(f"/api/runs/{run_id}").json()["nodes"]),
               60, "the node to start")
    started = time.monotonic()
    assert api.post(f"/api/runs/{run_id}/cancel").status_code == 200
    run = wait_for_run(api, run_id, timeout_s=30)
    assert run["status"] == "cancelled" and time.monotonic() - started < 20
    nodes = {n["node_id"]: n["status"] for n in run["nodes"]}
    assert nodes == {"sleepy": "cancelled", "after": "not_run"}


def test_a_run_whose_process_dies_is_marked_crashed(api):
    wf = create(api, [py("die", "python.map", "def node(r):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n")])
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    assert run["status"] == "crashed" and "exited" in run["error"]
    assert run["nodes"][0]["status"] == "crashed"


def test_running_an_invalid_workflow_is_refused_with_the_node(api):
    wf = create(api, [py("bad", "python.map", "def node(r):\n    return (\n")])
    response = api.post(f"/api/workflows/{wf}/runs", json={})
    assert response.status_code == 422 and response.json()["node"] == "bad"


def test_cancel_unknown_run_is_404(api):
    assert api.post("/api/runs/nope/cancel").status_code == 404


def test_runs_beyond_the_concurrency_limit_wait_in_order_and_can_be_cancelled(prefect_api_url, tmp_path):
    from tests.server_harness import ServerProcess

    server = ServerProcess(tmp_path / "home", prefect_api_url, flows=None,
                           extra_env={"WIREWORK_MAX_CONCURRENT_RUNS": "1"}).start()
    try:
        with server.client() as api:
            wf = create(api, [py("nap", "python.map", "def node(r):\n    import time\n    time.sleep(2)\n    return r\n")])
            first, second, third = (api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"] for _ in range(3))
            assert api.get(f"/api/runs/{second}").json()["status"] == "queued"
            assert api.post(f"/api/runs/{third}/cancel").json()["status"] == "cancelled"
            done_first, done_second = wait_for_run(api, first), wait_for_run(api, second)
            assert done_first["status"] == done_second["status"] == "completed"
            assert done_second["started_at"] >= done_first["ended_at"]  # one at a time
            assert api.get(f"/api/runs/{third}").json()["status"] == "cancelled"
    finally:
        assert server.stop() == 0
