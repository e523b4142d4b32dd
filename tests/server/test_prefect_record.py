"""Prefect's record of "run now"/webhook runs, written by one writer in the API from the
runs' events (issue 15, engine/server/services/prefect_writer.py): the run process never
talks to Prefect. Real `wirework up`, real Prefect server (the session's); where Prefect
must be unreachable, the server reaches it through a TCP proxy the test cuts."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import httpx

from engine.execution.prefect_record import IDEMPOTENCY_PREFIX
from tests.server_harness import ServerProcess, wait_for_run, wait_until
from tests.tcp_proxy import TcpProxy

FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def _prefect(prefect_api_url: str) -> httpx.Client:
    return httpx.Client(base_url=prefect_api_url.rstrip("/"), timeout=30)


def _flow_runs_of(prefect: httpx.Client, run_id: str) -> list[dict]:
    """Every Prefect flow run of this wirework run (found by its idempotency key)."""
    response = prefect.post("/flow_runs/filter", json={
        "flow_runs": {"idempotency_key": {"any_": [IDEMPOTENCY_PREFIX + run_id]}}, "limit": 10})
    response.raise_for_status()
    return response.json()


def _flow_run_of(prefect: httpx.Client, run_id: str) -> dict | None:
    found = _flow_runs_of(prefect, run_id)
    return found[0] if found else None


def _task_runs_of(prefect: httpx.Client, flow_run_id: str) -> list[dict]:
    response = prefect.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 50})
    response.raise_for_status()
    return response.json()


def _final_states_of(prefect: httpx.Client, flow_run_id: str) -> list[str]:
    states = prefect.get("/flow_run_states/", params={"flow_run_id": flow_run_id}).json()
    return [s["type"] for s in states if s["type"] in FINAL]


def _ended(prefect: httpx.Client, run_id: str, state_type: str, tasks: int | None = None):
    """The run's flow run once it is in `state_type` (with `tasks` task runs, all out of
    Running), else None."""
    flow_run = _flow_run_of(prefect, run_id)
    if flow_run is None or flow_run["state_type"] != state_type:
        return None
    if tasks is not None:
        task_runs = _task_runs_of(prefect, flow_run["id"])
        if len(task_runs) != tasks or any(t["state_type"] in (None, "RUNNING") for t in task_runs):
            return None
    return flow_run


def _save(api: httpx.Client, nodes: list[dict], edges: list[tuple[str, str]]) -> str:
    wf_id = f"beside-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes,
           "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)]}
    assert api.post("/api/workflows", json=doc).status_code == 201
    return wf_id


def _map(node_id: str, code: str = "def node(record):\n    return record\n", **extra) -> dict:
    return {"id": node_id, "type": "python.map", "config": {"code": code}, **extra}


def _writer(api: httpx.Client) -> dict:
    return api.get("/api/health").json()["components"]["prefect_record"]["detail"]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_a_run_completes_while_prefect_is_unreachable_and_is_recorded_in_prefect_afterwards(prefect_api_url, tmp_path):
    target = httpx.URL(prefect_api_url)
    proxy = TcpProxy(target.host, target.port).start()
    server = ServerProcess(tmp_path / "home", str(target.copy_with(port=proxy.port)), flows=None).start()
    try:
        with server.client() as api, _prefect(prefect_api_url) as prefect:
            wf_id = _save(api, [
                _map("first"),
                _map("flaky", retries=1, retry_delay_s=0, code=(
                    "import os\n"
                    "def node(record):\n"
                    "    marker = '/tmp/flaky-' + record['id']\n"
                    "    if not os.path.exists(marker):\n"
                    "        open(marker, 'w').close()\n"
                    "        raise ValueError('first attempt fails')\n"
                    "    return record\n")),
            ], [("first", "flaky")])
            proxy.cut()
            started = time.time()
            run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
            run = wait_for_run(api, run_id, timeout_s=60)
            # The whole run, its retry included, happened with Prefect unreachable.
            assert run["status"] == "completed", run
            assert {n["node_id"]: n["status"] for n in run["nodes"]} == {"first": "completed", "flaky": "completed"}
            assert {n["node_id"]: n["attempts"] for n in run["nodes"]}["flaky"] == 2
            assert time.time() - started < 30
            time.sleep(3)  # the writer tries (and fails) meanwhile: the record waits in the API
            assert _flow_run_of(prefect, run_id) is None  # nothing reached Prefect yet
            assert _writer(api)["pending_runs"] == 1 and _writer(api)["last_error"]
            proxy.start()
            flow_run = wait_until(lambda: _ended(prefect, run_id, "COMPLETED", tasks=2), 60,
                                  "the flow run to reach Prefect with its final state and both task runs")
            assert flow_run["parameters"] == {"workflow_id": wf_id, "run_id": run_id}
            by_name = {t["name"]: t for t in _task_runs_of(prefect, flow_run["id"])}
            assert {name: t["state_type"] for name, t in by_name.items()} == {"first": "COMPLETED",
                                                                              "flaky": "COMPLETED"}
            assert by_name["flaky"]["run_count"] == 2  # its retry is in Prefect's record too
            assert [i["id"] for i in by_name["flaky"]["task_inputs"]["wait_for"]] == [by_name["first"]["id"]]
            assert wait_until(lambda: api.get(f"/api/runs/{run_id}").json()["prefect_flow_run_id"], 10,
                              "the run to name its flow run") == flow_run["id"]
            assert _final_states_of(prefect, flow_run["id"]) == ["COMPLETED"]
    finally:
        server.stop()
        proxy.cut()


def test_a_record_not_written_when_the_api_stopped_is_written_after_its_restart(prefect_api_url, tmp_path):
    """The writer keeps unwritten records in memory; the app database has the runs, so the
    next start writes what the stopped process could not (Prefect unreachable meanwhile)."""
    target = httpx.URL(prefect_api_url)
    proxy = TcpProxy(target.host, target.port).start()
    url = str(target.copy_with(port=proxy.port))
    server = ServerProcess(tmp_path / "home", url, flows=None).start()
    try:
        with server.client() as api:
            wf_id = _save(api, [_map("a"), _map("b")], [("a", "b")])
            proxy.cut()
            run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
            assert wait_for_run(api, run_id, timeout_s=60)["status"] == "completed"
        server.stop()
        proxy.start()
        server = ServerProcess(tmp_path / "home", url, flows=None).start()
        with server.client() as api, _prefect(prefect_api_url) as prefect:
            flow_run = wait_until(lambda: _ended(prefect, run_id, "COMPLETED", tasks=2), 60,
                                  "the run's record, written by the restarted API")
            assert {t["name"]: t["state_type"] for t in _task_runs_of(prefect, flow_run["id"])} == {
                "a": "COMPLETED", "b": "COMPLETED"}
            assert wait_until(lambda: api.get(f"/api/runs/{run_id}").json()["prefect_flow_run_id"], 10,
                              "the run to name its flow run") == flow_run["id"]
    finally:
        server.stop()
        proxy.cut()


def test_a_webhook_run_is_in_prefect_with_its_task_runs_and_names_its_flow_run(server, api, prefect_api_url):
    wf_id = _save(api, [_map("ok"), _map("boom", "def node(record):\n    raise RuntimeError('no')\n"), _map("after")],
                  [("ok", "boom"), ("boom", "after")])
    hook = api.get(f"/api/workflows/{wf_id}/webhook").json()
    response = httpx.post(hook["url"], json={"n": 1})
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    run = wait_for_run(api, run_id, timeout_s=60)
    assert run["status"] == "failed"
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert {k: n["status"] for k, n in nodes.items()} == {"ok": "completed", "boom": "failed", "after": "not_run"}
    with _prefect(prefect_api_url) as prefect:
        flow_run = wait_until(lambda: _ended(prefect, run_id, "FAILED", tasks=3), 30,
                              "the flow run, failed, with its three task runs")
        assert flow_run["parameters"] == {"workflow_id": wf_id, "run_id": run_id}
        assert "boom" in (flow_run["state"]["message"] or "")  # wirework's error: "node(s) failed: boom"
        assert flow_run["name"] == f"{wf_id}-{run_id[:8]}"
        tasks = {t["name"]: t for t in _task_runs_of(prefect, flow_run["id"])}
        assert {k: t["state_type"] for k, t in tasks.items()} == {"ok": "COMPLETED", "boom": "FAILED",
                                                                   "after": "PENDING"}  # Prefect's NotReady
        assert tasks["ok"]["task_key"] == "wirework-node-python.map" and tasks["ok"]["run_count"] == 1
        assert "RuntimeError: no" in tasks["boom"]["state"]["message"]
        # The task runs carry the nodes' own times, as the run process stamped them.
        for name in ("ok", "boom"):
            assert abs(_ts(tasks[name]["start_time"]) - _ts(nodes[name]["started_at"])) < 0.01
            assert abs(_ts(tasks[name]["end_time"]) - _ts(nodes[name]["ended_at"])) < 0.01
        assert [i["id"] for i in tasks["after"]["task_inputs"]["wait_for"]] == [tasks["boom"]["id"]]
        assert _final_states_of(prefect, flow_run["id"]) == ["FAILED"]
    assert wait_until(lambda: api.get(f"/api/runs/{run_id}").json()["prefect_flow_run_id"], 10,
                      "the run to name its flow run") == flow_run["id"]


def test_a_burst_of_runs_is_recorded_in_fewer_prefect_requests_than_three_per_run(server, api, prefect_api_url):
    wf_id = _save(api, [_map("a"), _map("b"), _map("c")], [("a", "b"), ("b", "c")])
    wait_until(lambda: _writer(api)["pending_runs"] == 0, 60, "earlier tests' records to be written")
    before = _writer(api)
    run_ids = [api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"] for _ in range(12)]
    for run_id in run_ids:
        assert wait_for_run(api, run_id, timeout_s=120)["status"] == "completed"
    with _prefect(prefect_api_url) as prefect:
        for run_id in run_ids:
            wait_until(lambda: _ended(prefect, run_id, "COMPLETED", tasks=3), 90, f"run {run_id} in Prefect")
            assert len(_flow_runs_of(prefect, run_id)) == 1
    after = wait_until(lambda: (w := _writer(api))["pending_runs"] == 0 and w, 30, "nothing left to write")
    requests = after["requests"] - before["requests"]
    assert after["written_runs"] - before["written_runs"] == 12
    assert 0 < requests < 12 * 3, after  # per run today: one create; events and final states per batch


def test_a_run_whose_process_dies_is_crashed_in_prefect_once(server, api, prefect_api_url):
    """Nothing in a killed run process could end its flow run: the API settles the run and
    its writer ends the flow run (and the running node's task run) as Crashed."""
    wf_id = _save(api, [_map("dies", (
        "import os, signal, time\n"
        "def node(record):\n"
        "    time.sleep(3)  # the writer has created the flow run, Running, by now\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"))], [])
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    with _prefect(prefect_api_url) as prefect:
        wait_until(lambda: (fr := _flow_run_of(prefect, run_id)) and fr["state_type"] == "RUNNING", 30,
                   "the flow run, Running, while its node runs")
        run = wait_for_run(api, run_id, timeout_s=60)
        assert run["status"] == "crashed", run
        flow_run = wait_until(lambda: _ended(prefect, run_id, "CRASHED", tasks=1), 30,
                              "the flow run ended as Crashed in Prefect")
        assert "exited" in (flow_run["state"]["message"] or "")  # wirework's error, e.g. "…exited (code -9)…"
        [task] = _task_runs_of(prefect, flow_run["id"])
        assert task["state_type"] == "CRASHED" and task["end_time"]
        time.sleep(3)  # no later write (the settler's, say) ends it again
        assert _final_states_of(prefect, flow_run["id"]) == ["CRASHED"]
        assert len(_flow_runs_of(prefect, run_id)) == 1


def test_a_cancelled_run_that_ignores_its_cancel_is_cancelled_in_prefect_once(server, api, prefect_api_url):
    wf_id = _save(api, [_map("stuck", (
        "import time\n"
        "def node(record):\n"
        "    time.sleep(120)  # never checks for cancellation\n"
        "    return record\n"))], [])
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    with _prefect(prefect_api_url) as prefect:
        wait_until(lambda: _flow_run_of(prefect, run_id) is not None, 30, "the run's flow run to reach Prefect")
        assert api.post(f"/api/runs/{run_id}/cancel").status_code == 200
        run = wait_for_run(api, run_id, timeout_s=30)
        assert run["status"] == "cancelled", run
        flow_run = wait_until(lambda: _ended(prefect, run_id, "CANCELLED", tasks=1), 30,
                              "the flow run ended as Cancelled in Prefect")
        time.sleep(3)
        assert _final_states_of(prefect, flow_run["id"]) == ["CANCELLED"]
        assert len(_flow_runs_of(prefect, run_id)) == 1


def test_a_run_cancelled_while_queued_is_cancelled_in_prefect(server, api, prefect_api_url):
    """It never started: its flow run is created directly in its final state."""
    wf_id = _save(api, [_map("slow", "import time\ndef node(record):\n    time.sleep(30)\n    return record\n")], [])
    doc = api.get(f"/api/workflows/{wf_id}").json()
    doc["max_concurrent_runs"] = 1
    assert api.put(f"/api/workflows/{wf_id}", json=doc).status_code == 200
    first = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    queued = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    assert api.get(f"/api/runs/{queued}").json()["status"] == "queued"
    assert api.post(f"/api/runs/{queued}/cancel").status_code == 200
    with _prefect(prefect_api_url) as prefect:
        flow_run = wait_until(lambda: _ended(prefect, queued, "CANCELLED", tasks=0), 30,
                              "the queued run's flow run, Cancelled")
        assert _final_states_of(prefect, flow_run["id"]) == ["CANCELLED"]
    api.post(f"/api/runs/{first}/cancel")
    wait_for_run(api, first, timeout_s=30)


def test_with_run_nodes_prefect_a_run_goes_through_prefects_flow_engine_and_the_writer_is_off(prefect_api_url, tmp_path):
    server = ServerProcess(tmp_path / "home", prefect_api_url, flows=None,
                           extra_env={"WIREWORK_RUN_NODES": "prefect"}).start()
    try:
        with server.client() as api, _prefect(prefect_api_url) as prefect:
            assert api.get("/api/health").json()["components"]["prefect_record"]["status"] == "off"
            wf_id = _save(api, [_map("a"), _map("b")], [("a", "b")])
            run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
            run = wait_for_run(api, run_id, timeout_s=120)
            assert run["status"] == "completed", run
            # Named by Prefect's engine; its final state follows the run's end (set once the flow returns).
            flow_run = wait_until(lambda: (fr := prefect.get(f"/flow_runs/{run['prefect_flow_run_id']}").json())
                                  ["state_type"] == "COMPLETED" and fr, 30, "the flow run, completed")
            assert flow_run["parameters"]["run_id"] == run_id
            assert flow_run["idempotency_key"] is None  # not the writer's
            # Every node's task run reaches Prefect completed: the forked run process ends with
            # os._exit, so it must send Prefect's queued task-run events before it exits.
            task_runs = wait_until(lambda: (ts := _task_runs_of(prefect, flow_run["id"])) and len(ts) == 2
                                   and all(t["state_type"] == "COMPLETED" for t in ts) and ts, 30,
                                   "two completed task runs")
            assert sorted(t["name"] for t in task_runs) == ["a", "b"], task_runs
    finally:
        server.stop()
