"""Schedules: a workflow's cron becomes a Prefect deployment that fires real runs, and
workflows, schedules and history survive a restart of `wirework up`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from engine.execution.prefect_record import IDEMPOTENCY_PREFIX, use_csrf_token
from engine.server.worker_credential import read_worker_token
from tests.server_harness import ServerProcess, wait_for_run, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_server(tmp_path_factory):
    """`wirework up` exactly as `make run` starts it: with its own Prefect server, whose
    scheduler service creates the scheduled runs (Prefect's test harness runs no scheduler)."""
    proc = ServerProcess(tmp_path_factory.mktemp("full-home"), prefect_api_url=None).start(timeout_s=180)
    yield proc
    assert proc.stop() == 0


@pytest.fixture
def sched_api(full_server):
    with full_server.client() as client:
        yield client


def scheduled_doc(cron="* * * * *", enabled=True):
    return {"id": f"sched-{uuid.uuid4().hex[:8]}",
            "nodes": [{"id": "tick", "type": "python.map",
                       "config": {"code": "def node(r):\n    return {'id': 'tick', 'trigger': r['trigger']}\n"}}],
            "edges": [], "schedule": {"cron": cron, "timezone": "UTC", "enabled": enabled}}


def deployment_of(api, wf_id):
    return api.get(f"/api/workflows/{wf_id}/schedule").json()["deployment_id"]


def test_enabled_schedule_fires_a_run(full_server, sched_api):
    api = sched_api
    doc = scheduled_doc()
    api.post("/api/workflows", json=doc)
    wait_until(lambda: deployment_of(api, doc["id"]), 30, "the deployment to be created")
    runs = wait_until(lambda: api.get("/api/runs", params={"workflow_id": doc["id"]}).json(), 75,
                      "the every-minute schedule to fire")
    run = wait_for_run(api, runs[-1]["id"])
    assert run["status"] == "completed" and run["trigger"]["trigger"] == "schedule"
    assert run["prefect_flow_run_id"]
    # Prefect's record is on the flow run Prefect's scheduler made (the API's writer wrote it;
    # the run's nodes ran on threads of its run process, which never talked to Prefect).
    with _prefect_through_the_server(full_server) as prefect:
        flow_run_id = run["prefect_flow_run_id"]

        def completed_with_its_task_run():
            flow_run = _prefect_post(prefect, "/flow_runs/filter", {"flow_runs": {"id": {"any_": [flow_run_id]}}})
            tasks = _prefect_post(prefect, "/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_run_id]}}})
            done = flow_run and flow_run[0]["state_type"] == "COMPLETED" and [t["state_type"] for t in tasks]
            return done == ["COMPLETED"] and (flow_run[0], tasks[0])

        flow_run, task_run = wait_until(completed_with_its_task_run, 30, "the flow run's record in Prefect")
        assert flow_run["deployment_id"] == deployment_of(api, doc["id"])
        assert flow_run["parameters"] == {"workflow_id": doc["id"]}
        assert task_run["name"] == "tick" and task_run["run_count"] == 1
        states = prefect.get("/flow_run_states/", params={"flow_run_id": flow_run_id}).json()
        # Running only if the writer wrote while the run ran (this one takes milliseconds).
        assert [s["type"] for s in sorted(states, key=lambda s: s["timestamp"]) if s["type"] != "RUNNING"] == [
            "SCHEDULED", "PENDING", "COMPLETED"]
        # No second flow run of this run: the writer wrote to Prefect's, it created none.
        assert _prefect_post(prefect, "/flow_runs/filter", {
            "flow_runs": {"idempotency_key": {"any_": [IDEMPOTENCY_PREFIX + run["id"]]}}}) == []


def _prefect_through_the_server(server: ServerProcess) -> httpx.Client:
    """Prefect's API of a server that started its own, through the server's Prefect proxy
    with the worker credential (what remote workers use)."""
    return httpx.Client(base_url=f"{server.url}/api/prefect", timeout=30,
                        headers={"Authorization": f"Bearer {read_worker_token(server.home)}"})


def _prefect_post(prefect: httpx.Client, path: str, body: dict):
    response = prefect.post(path, json=body)
    if response.status_code == 403 and "CSRF" in response.text:
        use_csrf_token(prefect)
        response = prefect.post(path, json=body)
    response.raise_for_status()
    return response.json()


def test_disabling_and_deleting_update_the_deployment(sched_api):
    api = sched_api
    doc = scheduled_doc()
    api.post("/api/workflows", json=doc)
    first = wait_until(lambda: deployment_of(api, doc["id"]), 30, "the deployment")
    api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 1, "schedule": {**doc["schedule"], "cron": "0 3 * * *"}})
    second = wait_until(lambda: (d := deployment_of(api, doc["id"])) and d != first and d, 30, "the new deployment")
    assert second != first
    api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 2, "schedule": {"cron": None, "enabled": False}})
    wait_until(lambda: deployment_of(api, doc["id"]) is None, 30, "the deployment to be removed")


def test_workflows_schedules_and_history_survive_a_restart(tmp_path):
    home = tmp_path / "home"
    server = ServerProcess(home, prefect_api_url=None).start(timeout_s=180)
    try:
        with server.client() as api:
            doc = scheduled_doc(cron="0 4 * * *")
            api.post("/api/workflows", json=doc)
            deployment = wait_until(lambda: deployment_of(api, doc["id"]), 30, "the deployment")
            run_id = api.post("/api/workflows/hello/runs", json={}).json()["run_id"]
            assert wait_for_run(api, run_id)["status"] == "completed"
    finally:
        assert server.stop() == 0
    again = ServerProcess(home, prefect_api_url=None, port=server.port).start(timeout_s=180)
    try:
        with again.client() as api:
            assert api.get(f"/api/workflows/{doc['id']}").json()["schedule"]["cron"] == "0 4 * * *"
            assert api.get(f"/api/runs/{run_id}").json()["status"] == "completed"
            assert wait_until(lambda: deployment_of(api, doc["id"]), 30, "the deployment after restart") == deployment
            ids = [w["id"] for w in api.get("/api/workflows").json()]
            assert ids.count("hello") == 1  # samples are imported once, not on every start
    finally:
        assert again.stop() == 0
    leftovers = subprocess.run(["pgrep", "-f", str(home)], capture_output=True, text=True).stdout.split()
    assert leftovers == []  # no orphan Prefect server or worker processes


def test_second_server_on_a_busy_port_says_so(server, tmp_path):
    result = subprocess.run([sys.executable, "-m", "engine.cli", "up", "--port", str(server.port)],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "WIREWORK_HOME": str(tmp_path)})
    assert result.returncode == 1 and "is busy" in result.stderr


def test_a_crashed_scheduled_run_is_started_again(sched_api, httpserver):
    """retry_crashed (issue 17 part 11) on a run the schedule fired: its worker killed with
    SIGKILL while the node holds, the retry runs the same scheduled trigger and completes."""
    import signal

    from werkzeug import Response

    from tests.server.test_crash_retry import HOLDING_NODE, _holding_pid

    api = sched_api
    hold = {"value": b"1"}
    httpserver.expect_request("/hold").respond_with_handler(lambda request: Response(hold["value"]))
    marker = f"wws{uuid.uuid4().hex[:8]}"
    doc = scheduled_doc()
    doc["retry_crashed"] = 1
    doc["nodes"][0]["config"]["code"] = HOLDING_NODE.format(hold_url=httpserver.url_for("/hold"), marker=marker)
    assert api.post("/api/workflows", json=doc).status_code == 201
    pid = wait_until(lambda: _holding_pid(marker), 90, "the scheduled run to hold")
    # One scheduled run is enough: no more fire while the test looks at this one.
    api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 1, "schedule": {**doc["schedule"], "enabled": False}})
    [scheduled] = api.get("/api/runs", params={"workflow_id": doc["id"]}).json()
    hold["value"] = b"0"
    os.kill(pid, signal.SIGKILL)
    crashed = wait_for_run(api, scheduled["id"], timeout_s=60)
    assert crashed["status"] == "crashed" and "started again as run" in crashed["error"], crashed
    [retry] = [r for r in api.get("/api/runs", params={"workflow_id": doc["id"]}).json() if r["retry_of"] == crashed["id"]]
    done = wait_for_run(api, retry["id"], timeout_s=90)
    assert done["status"] == "completed" and done["attempt"] == 2, done
    assert done["trigger"]["trigger"] == "schedule" and done["trigger"]["time"] == crashed["trigger"]["time"]
