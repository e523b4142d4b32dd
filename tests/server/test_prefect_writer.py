"""The API's writer of Prefect's record (engine/server/services/prefect_writer.py) gives
way to busy runs, for at most its maximum lag, and writes everything at once when they
leave the machine to it. In-process writer, the session's real Prefect server."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx

from engine.execution.prefect_record import IDEMPOTENCY_PREFIX
from engine.server.services.prefect_writer import PrefectWriter
from tests.server_harness import wait_until


def _flow_run(prefect: httpx.Client, run_id: str) -> dict | None:
    found = prefect.post("/flow_runs/filter", json={
        "flow_runs": {"idempotency_key": {"any_": [IDEMPOTENCY_PREFIX + run_id]}}}).json()
    return found[0] if found else None


def _feed(writer: PrefectWriter, run_id: str) -> None:
    """A one-node run that started and completed, as the API publishes its events."""
    writer.register(run_id, "wf", [("only", "python.map", 0, 0.0, [])])
    start = datetime.now(timezone.utc)
    end = start + timedelta(milliseconds=20)
    writer.observe("run_started", {"run_id": run_id})
    writer.observe("node_started", {"run_id": run_id, "node_id": "only", "attempt": 1, "at": start})
    writer.observe("node_finished", {"run_id": run_id, "node_id": "only", "status": "completed", "attempts": 1,
                                     "started_at": start, "ended_at": end})
    writer.observe("run_finished", {"run_id": run_id, "status": "completed", "error": None, "at": end})


def test_the_writer_waits_for_busy_runs_up_to_its_maximum_lag_then_writes(prefect_api_url):
    busy = {"now": True}
    pairs: list[tuple[str, str]] = []
    writer = PrefectWriter(prefect_api_url, busy=lambda: busy["now"], on_flow_runs=pairs.extend,
                           write_every_s=0.2, max_lag_s=4.0).start()
    try:
        with httpx.Client(base_url=prefect_api_url.rstrip("/"), timeout=30) as prefect:
            late = str(uuid.uuid4())
            fed = time.monotonic()
            _feed(writer, late)
            time.sleep(2.0)
            assert _flow_run(prefect, late) is None  # busy: not written yet
            assert writer.health()["pending_runs"] == 1 and writer.health()["requests"] == 0
            flow_run = wait_until(lambda: (fr := _flow_run(prefect, late)) and fr["state_type"] == "COMPLETED" and fr,
                                  20, "the run written once its lag ran out, though still busy")
            assert time.monotonic() - fed >= 4.0
            assert pairs == [(late, flow_run["id"])]  # the run's row is told its flow run
            wait_until(lambda: writer.health()["pending_runs"] == 0, 10, "nothing left to write")
            assert writer.health()["written_runs"] == 1
    finally:
        writer.stop()


def test_the_writer_writes_at_once_when_the_runs_leave_the_machine_to_it(prefect_api_url):
    busy = {"now": True}
    # A maximum lag far beyond the wait below: a write within it was not forced by the lag.
    writer = PrefectWriter(prefect_api_url, busy=lambda: busy["now"], write_every_s=0.2, max_lag_s=120.0).start()
    try:
        with httpx.Client(base_url=prefect_api_url.rstrip("/"), timeout=30) as prefect:
            run_id = str(uuid.uuid4())
            _feed(writer, run_id)
            time.sleep(1.0)
            assert _flow_run(prefect, run_id) is None  # busy: not written yet
            busy["now"] = False
            wait_until(lambda: (fr := _flow_run(prefect, run_id)) and fr["state_type"] == "COMPLETED", 60,
                       "the run written once the runs leave the machine to the writer")
            wait_until(lambda: writer.health()["pending_runs"] == 0, 10, "nothing left to write")
            assert writer.health()["written_runs"] == 1
    finally:
        writer.stop()


def test_a_flow_that_is_gone_from_prefect_is_created_again(prefect_api_url):
    """A Prefect server started on a new database no longer has the flow the writer knew."""
    writer = PrefectWriter(prefect_api_url, write_every_s=0.2)
    writer._flow_id = str(uuid.uuid4())  # what it had asked a previous Prefect database for
    writer.start()
    try:
        with httpx.Client(base_url=prefect_api_url.rstrip("/"), timeout=30) as prefect:
            run_id = str(uuid.uuid4())
            _feed(writer, run_id)
            wait_until(lambda: (fr := _flow_run(prefect, run_id)) and fr["state_type"] == "COMPLETED", 20,
                       "the run written with the flow created again")
            assert writer.health()["dropped_runs"] == 0
    finally:
        writer.stop()


def test_a_flow_run_prefect_made_is_set_running_then_ended_and_no_other_is_created(prefect_api_url):
    """A scheduled run's flow run exists before the run (Prefect's scheduler made it; the
    schedule loop claimed it Pending): the writer sets it Running while the run runs, then
    writes its task runs and final state on it, and creates none of its own."""
    writer = PrefectWriter(prefect_api_url, write_every_s=0.2).start()
    try:
        with httpx.Client(base_url=prefect_api_url.rstrip("/"), timeout=30) as prefect:
            flow = prefect.post("/flows/", json={"name": "wirework-writer-test"}).json()
            made = prefect.post("/flow_runs/", json={"flow_id": flow["id"], "name": "scheduled-one",
                                                     "state": {"type": "PENDING", "name": "Pending"}}).json()
            run_id = str(uuid.uuid4())
            writer.register(run_id, "wf", [("only", "python.map", 0, 0.0, [])], flow_run_id=made["id"])
            start = datetime.now(timezone.utc)
            writer.observe("run_started", {"run_id": run_id})
            writer.observe("node_started", {"run_id": run_id, "node_id": "only", "attempt": 1, "at": start})

            def state_of() -> str:
                return prefect.get(f"/flow_runs/{made['id']}").json()["state_type"]

            wait_until(lambda: state_of() == "RUNNING", 20, "the flow run set Running while the run runs")
            end = start + timedelta(milliseconds=20)
            writer.observe("node_finished", {"run_id": run_id, "node_id": "only", "status": "completed",
                                             "attempts": 1, "started_at": start, "ended_at": end})
            writer.observe("run_finished", {"run_id": run_id, "status": "completed", "error": None, "at": end})
            wait_until(lambda: state_of() == "COMPLETED", 20, "the flow run ended")
            tasks = wait_until(lambda: (t := prefect.post("/task_runs/filter", json={
                "flow_runs": {"id": {"any_": [made["id"]]}}}).json()) and t[0]["state_type"] == "COMPLETED" and t,
                20, "its task run")
            assert [t["name"] for t in tasks] == ["only"]
            assert _flow_run(prefect, run_id) is None  # no flow run of its own
            wait_until(lambda: writer.health()["pending_runs"] == 0, 10, "nothing left to write")
            assert writer.health()["requests_by_kind"].get("create", 0) == 0
    finally:
        writer.stop()


def test_after_a_restart_a_scheduled_runs_record_is_written_only_where_prefect_lacks_its_end(prefect_api_url, app_db):
    """Scheduled runs the app database has, recovered at start-up: one whose end the
    stopped process never wrote (its flow run still Pending in Prefect) gets it; one whose
    record Prefect has whole is left as it is — no second final state."""
    from engine.model.runs import NodeResult, RunInfo, trigger_record
    from engine.model.statuses import NodeStatus, RunStatus
    from engine.server.db.workflows import WorkflowRepository
    from engine.server.services.prefect_writer import recover

    with httpx.Client(base_url=prefect_api_url.rstrip("/"), timeout=30) as prefect:
        flow = prefect.post("/flows/", json={"name": "wirework-recover-test"}).json()
        made = {kind: prefect.post("/flow_runs/", json={"flow_id": flow["id"], "name": f"scheduled-{kind}",
                                                        "state": {"type": kind, "name": kind.capitalize()}}).json()
                for kind in ("PENDING", "COMPLETED")}
        runs = {}
        for kind, flow_run in made.items():
            run_id = str(uuid.uuid4())
            runs[kind] = run_id
            start = datetime.now(timezone.utc)
            app_db.queue_run(RunInfo(run_id=run_id, workflow_id="wf", workflow_version=1,
                                     trigger=trigger_record(run_id, "schedule", time=start), node_ids=["only"],
                                     prefect_flow_run_id=flow_run["id"], inputs={"only": []}))
            app_db.node_finished(NodeResult(run_id=run_id, node_id="only", status=NodeStatus.COMPLETED, attempts=1,
                                            started_at=start, ended_at=start + timedelta(milliseconds=20)))
            app_db.run_finished(run_id, RunStatus.COMPLETED, None, start + timedelta(milliseconds=30))
        writer = PrefectWriter(prefect_api_url, write_every_s=0.2)
        assert recover(writer, app_db, WorkflowRepository(app_db)) == 2
        writer.start()
        try:
            lacking = made["PENDING"]["id"]
            wait_until(lambda: prefect.get(f"/flow_runs/{lacking}").json()["state_type"] == "COMPLETED", 20,
                       "the recovered run's end written to its flow run")
            tasks = wait_until(lambda: prefect.post("/task_runs/filter", json={
                "flow_runs": {"id": {"any_": [lacking]}}}).json(), 20, "its task run")
            assert [t["name"] for t in tasks] == ["only"]
            wait_until(lambda: writer.health()["pending_runs"] == 0, 10, "nothing left to write")
            whole = made["COMPLETED"]["id"]
            states = prefect.get("/flow_run_states/", params={"flow_run_id": whole}).json()
            assert [s["type"] for s in states] == ["COMPLETED"]  # not written again
            assert prefect.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [whole]}}}).json() == []
            assert writer.health()["requests_by_kind"].get("create", 0) == 0
        finally:
            writer.stop()
