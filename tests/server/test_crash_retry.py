"""Retrying crashed runs (issue 17 part 11) against a real `wirework up`: a workflow's
`retry_crashed: N` starts a crashed webhook (or scheduled) run again, and the retry names
the run it retries and its attempt; a manual run's crash and a cancelled run are not
started again. The run's worker is killed with SIGKILL while its node holds."""

from __future__ import annotations

import glob
import os
import signal
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from werkzeug import Response

from engine.model.runs import RunInfo, utcnow
from engine.model.statuses import RunStatus
from engine.model.workflow import Workflow
from engine.server.db.workflows import WorkflowRepository
from engine.server.services.crash_retry import retry_plan
from tests.builders import code
from tests.server_harness import wait_for_run, wait_until

# The node holds while the test's control server says "1". It runs in the sandbox (no
# shared files, its own PID namespace), so it names its thread and the test finds the
# worker's pid in /proc by that name (15 bytes at most).
HOLDING_NODE = """
def node(record):
    import ctypes, time, urllib.request
    if urllib.request.urlopen("{hold_url}", timeout=5).read() == b"1":
        ctypes.CDLL(None).prctl(15, b"{marker}", 0, 0, 0)  # PR_SET_NAME of this thread
        time.sleep(300)
    return {{"id": "out", "payload": record["payload"], "trigger": record["trigger"]}}
"""


def _holding_pid(marker: str) -> int | None:
    for comm in glob.glob("/proc/[0-9]*/task/[0-9]*/comm"):
        try:
            if open(comm).read().strip() == marker:
                return int(comm.split("/")[2])
        except OSError:
            continue
    return None


@pytest.fixture
def hold(httpserver):
    """A switch the node reads: holding ("1") until the test lets go."""
    state = {"value": b"1"}
    httpserver.expect_request("/hold").respond_with_handler(lambda request: Response(state["value"]))
    return state, httpserver.url_for("/hold")


def _save(api, hold_url: str, marker: str, retry_crashed: int) -> str:
    wf_id = f"retry-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "retry_crashed": retry_crashed, "nodes": [
        {"id": "held", "type": "python.map",
         "config": {"code": code(HOLDING_NODE.format(hold_url=hold_url, marker=marker))}}]}
    response = api.post("/api/workflows", json=doc)
    assert response.status_code == 201, response.text
    assert response.json()["retry_crashed"] == retry_crashed
    return wf_id


def _webhook(api, wf_id: str, payload) -> str:
    hook = api.get(f"/api/workflows/{wf_id}/webhook").json()
    response = httpx.post(hook["url"], json=payload)
    assert response.status_code == 202, response.text
    return response.json()["run_id"]


def _kill_when_held(marker: str, then_let_go: dict | None = None) -> None:
    pid = wait_until(lambda: _holding_pid(marker), 90, "the node to hold")
    if then_let_go is not None:
        then_let_go["value"] = b"0"  # the next attempt goes through; this one already holds
    os.kill(pid, signal.SIGKILL)


def _runs_of(api, wf_id: str) -> list[dict]:
    return api.get("/api/runs", params={"workflow_id": wf_id}).json()


def test_a_crashed_webhook_run_is_started_again_and_the_retry_completes(api, hold):
    state, hold_url = hold
    marker = f"wwr{uuid.uuid4().hex[:8]}"
    wf_id = _save(api, hold_url, marker, retry_crashed=2)
    run_id = _webhook(api, wf_id, {"order": 7})
    _kill_when_held(marker, then_let_go=state)
    crashed = wait_for_run(api, run_id, timeout_s=60)
    assert crashed["status"] == "crashed", crashed
    assert crashed["attempt"] == 1 and crashed["retry_of"] is None
    [retry] = [run for run in _runs_of(api, wf_id) if run["id"] != run_id]
    assert f"started again as run {retry['id']} (attempt 2 of 3)" in crashed["error"]
    done = wait_for_run(api, retry["id"], timeout_s=90)
    assert done["status"] == "completed", done
    assert done["retry_of"] == run_id and done["attempt"] == 2
    # The same trigger: kind, payload and time, under the retry's own id.
    assert done["trigger"]["trigger"] == "webhook" and done["trigger"]["payload"] == {"order": 7}
    assert done["trigger"]["time"] == crashed["trigger"]["time"] and done["trigger"]["id"] == retry["id"]
    [record] = api.get(f"/api/runs/{retry['id']}/nodes/held/output").json()["records"]
    assert record == {"id": "out", "payload": {"order": 7}, "trigger": "webhook"}


def test_a_run_crashing_on_every_attempt_is_retried_n_times_then_left_crashed(api, hold):
    _state, hold_url = hold  # holds every attempt
    marker = f"wwr{uuid.uuid4().hex[:8]}"
    wf_id = _save(api, hold_url, marker, retry_crashed=1)
    first = _webhook(api, wf_id, None)
    _kill_when_held(marker)
    assert wait_for_run(api, first, timeout_s=60)["status"] == "crashed"
    [second] = [run["id"] for run in _runs_of(api, wf_id) if run["id"] != first]
    _kill_when_held(marker)  # the retry holds too
    last = wait_for_run(api, second, timeout_s=60)
    assert last["status"] == "crashed" and last["attempt"] == 2 and last["retry_of"] == first
    assert "started again" not in last["error"]
    time.sleep(1.0)
    assert len(_runs_of(api, wf_id)) == 2


def test_a_cancelled_webhook_run_is_not_started_again(api, hold):
    _state, hold_url = hold
    marker = f"wwr{uuid.uuid4().hex[:8]}"
    wf_id = _save(api, hold_url, marker, retry_crashed=2)
    run_id = _webhook(api, wf_id, None)
    wait_until(lambda: _holding_pid(marker), 90, "the node to hold")
    assert api.post(f"/api/runs/{run_id}/cancel").json()["status"] == "cancelling"
    run = wait_for_run(api, run_id, timeout_s=30)
    assert run["status"] == "cancelled", run
    time.sleep(1.0)  # a retry would be queued before the run's end is recorded
    assert [r["id"] for r in _runs_of(api, wf_id)] == [run_id]


def test_a_crashed_manual_run_is_not_started_again(api, hold):
    _state, hold_url = hold
    marker = f"wwr{uuid.uuid4().hex[:8]}"
    wf_id = _save(api, hold_url, marker, retry_crashed=2)
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    _kill_when_held(marker)
    run = wait_for_run(api, run_id, timeout_s=60)
    assert run["status"] == "crashed" and "started again" not in run["error"], run
    time.sleep(1.0)
    assert [r["id"] for r in _runs_of(api, wf_id)] == [run_id]


# -- which crashed runs are retried, on a real app.duckdb ----------------------------------------
@pytest.mark.parametrize("trigger, status, attempt, retried", [
    ("schedule", RunStatus.RUNNING, 1, True),
    ("webhook", RunStatus.RUNNING, 2, True),     # attempt 2 of 1 + 2
    ("webhook", RunStatus.RUNNING, 3, False),    # the last attempt
    ("manual", RunStatus.RUNNING, 1, False),
    ("webhook", RunStatus.CANCELLING, 1, False),  # the user asked it to stop
])
def test_retry_plan(app_db, trigger, status, attempt, retried):
    repo = WorkflowRepository(app_db)
    workflow = repo.create(Workflow.model_validate({"id": "hourly", "retry_crashed": 2, "nodes": [
        {"id": "a", "type": "python.map", "config": {"code": "def node(record):\n    return record\n"}}]}))
    run_id = str(uuid.uuid4())
    scheduled = utcnow() - timedelta(minutes=5)
    app_db.queue_run(RunInfo(run_id=run_id, workflow_id="hourly", workflow_version=workflow.version,
                             trigger={"id": run_id, "trigger": trigger, "payload": None, "time": scheduled.isoformat()},
                             node_ids=["a"]), retry_of=None if attempt == 1 else "earlier", attempt=attempt)
    if status == RunStatus.CANCELLING:
        app_db.mark_cancelling(run_id)
    plan = retry_plan(app_db.get_run(run_id), repo)
    assert (plan is not None) == retried
    if plan is not None:
        assert plan.attempt == attempt + 1 and plan.attempts == 3 and plan.workflow.version == workflow.version
        assert plan.trigger["trigger"] == trigger and plan.trigger["time"] == scheduled.isoformat()
