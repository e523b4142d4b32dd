"""A run's first node does not wait for Prefect (issue 15): the run process writes the
flow run, its task runs and its final state to Prefect beside the run
(engine/execution/prefect_record.py). A real `wirework up` reaches the session's real
Prefect server through a TCP proxy the test cuts, so Prefect is unreachable while the run
executes; once the proxy is back the flow run is there, with its final state and one task
run per node."""

from __future__ import annotations

import time
import uuid

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterFlowRunId

from tests.server_harness import ServerProcess, wait_for_run, wait_until
from tests.tcp_proxy import TcpProxy


def _flow_run_of(run_id: str):
    """The Prefect flow run whose parameters name this wirework run (None: not there yet)."""
    with get_client(sync_client=True) as client:
        for flow_run in client.read_flow_runs(limit=200):
            if flow_run.parameters.get("run_id") == run_id:
                return flow_run
    return None


def _task_runs_of(flow_run_id) -> list:
    with get_client(sync_client=True) as client:
        return client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id])))


def _save(api: httpx.Client, nodes: list[dict], edges: list[tuple[str, str]]) -> str:
    wf_id = f"beside-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes,
           "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)]}
    assert api.post("/api/workflows", json=doc).status_code == 201
    return wf_id


def test_a_run_completes_while_prefect_is_unreachable_and_is_recorded_in_prefect_afterwards(prefect_api_url, tmp_path):
    target = httpx.URL(prefect_api_url)
    proxy = TcpProxy(target.host, target.port).start()
    server = ServerProcess(tmp_path / "home", str(target.copy_with(port=proxy.port)), flows=None).start()
    try:
        with server.client() as api:
            wf_id = _save(api, [
                {"id": "first", "type": "python.map", "config": {"code": "def node(record):\n    return record\n"}},
                {"id": "flaky", "type": "python.map", "retries": 1, "retry_delay_s": 0,
                 "config": {"code": (
                     "import os\n"
                     "def node(record):\n"
                     "    marker = '/tmp/flaky-' + record['id']\n"
                     "    if not os.path.exists(marker):\n"
                     "        open(marker, 'w').close()\n"
                     "        raise ValueError('first attempt fails')\n"
                     "    return record\n")}},
            ], [("first", "flaky")])
            proxy.cut()
            started = time.time()
            run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
            run = wait_for_run(api, run_id, timeout_s=60)
            # The whole run, its retry included, happened with Prefect unreachable.
            assert run["status"] == "completed", run
            assert {n["node_id"]: n["status"] for n in run["nodes"]} == {"first": "completed", "flaky": "completed"}
            assert {n["node_id"]: n["attempts"] for n in run["nodes"]}["flaky"] == 2
            assert _flow_run_of(run_id) is None  # nothing reached Prefect yet
            assert time.time() - started < 30
            proxy.start()
            flow_run = wait_until(lambda: (fr := _flow_run_of(run_id)) is not None and fr.state_type.value == "COMPLETED"
                                  and fr, 60, "the flow run to reach Prefect with its final state")
            assert flow_run.parameters == {"workflow_id": wf_id, "run_id": run_id}
            tasks = wait_until(lambda: (ts := _task_runs_of(flow_run.id)) and all(t.state_type and t.state_type.value == "COMPLETED"
                                                                                for t in ts) and len(ts) == 2 and ts,
                               30, "both task runs, completed")
            by_name = {t.name: t for t in tasks}
            assert set(by_name) == {"first", "flaky"}
            assert by_name["flaky"].run_count == 2  # its retry is in Prefect's record too
            assert [i.id for i in by_name["flaky"].task_inputs["wait_for"]] == [by_name["first"].id]
    finally:
        server.stop()
        proxy.cut()


def test_a_run_names_its_prefect_flow_run_and_a_failed_run_is_failed_in_prefect(server, api):
    wf_id = _save(api, [
        {"id": "ok", "type": "python.map", "config": {"code": "def node(record):\n    return record\n"}},
        {"id": "boom", "type": "python.map", "config": {"code": "def node(record):\n    raise RuntimeError('no')\n"}},
        {"id": "after", "type": "python.map", "config": {"code": "def node(record):\n    return record\n"}},
    ], [("ok", "boom"), ("boom", "after")])
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    run = wait_for_run(api, run_id, timeout_s=60)
    assert run["status"] == "failed"
    assert {n["node_id"]: n["status"] for n in run["nodes"]} == {"ok": "completed", "boom": "failed", "after": "not_run"}
    flow_run_id = run["prefect_flow_run_id"]
    assert flow_run_id, run
    with get_client(sync_client=True) as client:
        flow_run = wait_until(lambda: (fr := client.read_flow_run(flow_run_id)).state_type.value == "FAILED" and fr,
                              30, "the flow run's final state")
        assert flow_run.parameters == {"workflow_id": wf_id, "run_id": run_id}
        assert client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
    states = wait_until(lambda: (ts := _task_runs_of(flow_run.id)) and len(ts) == 3
                        and {t.name: t.state_type.value for t in ts}, 30, "the task runs")
    assert states == {"ok": "COMPLETED", "boom": "FAILED", "after": "PENDING"}  # Prefect's NotReady


def test_a_run_whose_process_dies_is_crashed_in_prefect_too(server, api):
    """Nothing in a killed run process can end its flow run: the API's settler does
    (engine/server/services/prefect_settler.py), by the flow run's idempotency key."""
    wf_id = _save(api, [
        {"id": "dies", "type": "python.map", "config": {"code": (
            "import os, signal, time\n"
            "def node(record):\n"
            "    time.sleep(3)  # the run process has created its flow run by now\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")}},
    ], [])
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    run = wait_for_run(api, run_id, timeout_s=60)
    assert run["status"] == "crashed", run
    flow_run = wait_until(lambda: (fr := _flow_run_of(run_id)) is not None and fr.state_type.value == "CRASHED" and fr,
                          30, "the flow run ended as Crashed in Prefect")
    assert "exited" in (flow_run.state.message or "")  # wirework's own error, e.g. "…exited (code -9)…"


def test_a_cancelled_run_that_ignores_its_cancel_is_cancelled_in_prefect_too(server, api):
    wf_id = _save(api, [
        {"id": "stuck", "type": "python.map", "config": {"code": (
            "import time\n"
            "def node(record):\n"
            "    time.sleep(120)  # never checks for cancellation\n"
            "    return record\n")}},
    ], [])
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    wait_until(lambda: _flow_run_of(run_id) is not None, 30, "the run's flow run to reach Prefect")
    assert api.post(f"/api/runs/{run_id}/cancel").status_code == 200
    run = wait_for_run(api, run_id, timeout_s=30)
    assert run["status"] == "cancelled", run
    wait_until(lambda: (fr := _flow_run_of(run_id)) is not None and fr.state_type.value == "CANCELLED", 30,
               "the flow run ended as Cancelled in Prefect")
