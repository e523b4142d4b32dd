"""Prefect's record of the runs that execute without Prefect's engine, written by one thread of the API (issue 15).

A "run now" or webhook run executes its nodes on threads of its run process
(engine/execution/direct_run.py) and reports its events to the API, which applies them
(services/runs.py). This writer is fed from those applied events — and from the runs the
API settles itself (crashed, cancelled, killed at the memory limit) — and writes what
Prefect keeps of each run, for all runs at once, from one thread:

- the flow run of `run_graph` (parameters: the workflow id and the run id; idempotency key
  `wirework-run-<run id>`, so a retried create is the same flow run). A run that has
  already ended when it is first written is created directly in its final state (one
  call); its id goes into the app database's run row (`prefect_flow_run_id`). A
  scheduled run's flow run is the one Prefect's scheduler made (registered with its id):
  none is created, it is set Running once the run began (unless it ended first);
- one task run per node, the way Prefect 3's own task engine records them: state-change
  events that Prefect's task run recorder turns into task runs — only each node's latest
  state since the last write, and one `POST /events` for every run of the batch. The
  events carry the node's real times (start, end, run count, run time);
- each flow run's final state, after its task runs, with `force` (wirework decides the
  outcome, not Prefect's orchestration): `POST /flow_runs/bulk_set_state` per state type
  for runs that ended without a message, `set_state` per run with one.

Runs first: while runs wait for a slot, or the machine's CPU is saturated while runs
execute, the writer waits — up to `MAX_LAG_S` after the oldest change it has not written,
then it writes anyway — so a burst's runs are not slowed down by their own bookkeeping;
it catches up after. Prefect down or restarting: the batch is tried again with backoff
(up to `RETRY_MAX_S` apart), nothing is dropped before `GIVE_UP_S`, when one warning per
run says what was not written. Nothing here blocks the API: the event hooks only update
this object's memory under a lock. What is not written yet is lost if the API process
stops (it tries one last write while stopping) — and at the next start `recover` takes
what the app database holds of the runs Prefect has no flow run of (ended within
`GIVE_UP_S`, or still active: the API settles those as crashed right after), so a record
lost with the process is written then. Task run ids derive from the run and node ids, so
writing a run again (after a restart, or a retried request) updates the same task runs.

What the record loses against Prefect's own engine: a flow run written after its run
ended carries Prefect-side start/end times of when it was written (Prefect stamps a
state with its own clock; a flow run created in its final state has no start time); the
task runs carry the real times.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import httpx

from engine.execution.prefect_record import (
    FLOW_NAME, IDEMPOTENCY_PREFIX, PrefectRefused, prefect_headers, prefect_request,
)
from engine.model.statuses import NodeStatus, RunStatus

log = logging.getLogger("wirework.prefect_writer")

WRITE_EVERY_S = 1.0  # how often changes are written (when runs leave the machine to it)
MAX_LAG_S = 60.0  # the longest a change waits for busy runs before it is written anyway
RETRY_FIRST_S = 1.0  # Prefect unreachable: the next try after this, doubling ...
RETRY_MAX_S = 15.0  # ... up to this (a Prefect restart takes 10-25 s here)
GIVE_UP_S = 3600.0  # a run's record still unwritten after this is dropped, with a warning
BUSY_CPU = 0.9  # the machine counts as saturated above this share of CPU time in use
EVENTS_PER_POST = 1000
BULK_LIMIT = 50  # Prefect's BULK_OPERATION_LIMIT for bulk_set_state
TIMEOUT_S = 30.0

_RUN_STATE = {RunStatus.COMPLETED: "COMPLETED", RunStatus.FAILED: "FAILED", RunStatus.CANCELLED: "CANCELLED",
              RunStatus.CRASHED: "CRASHED"}
# A node's status in wirework -> its task run's state (type, name); None: no task run
# (a partial run's reused node ran in an earlier run).
_NODE_STATE: dict[NodeStatus, tuple[str, str] | None] = {
    NodeStatus.COMPLETED: ("COMPLETED", "Completed"), NodeStatus.SKIPPED: ("COMPLETED", "Completed"),
    NodeStatus.PINNED: ("COMPLETED", "Completed"), NodeStatus.FAILED: ("FAILED", "Failed"),
    NodeStatus.CANCELLED: ("CANCELLED", "Cancelled"), NodeStatus.CRASHED: ("CRASHED", "Crashed"),
    NodeStatus.NOT_RUN: ("PENDING", "Pending"),  # never started: an upstream node failed (Prefect's NotReady)
    NodeStatus.RETRYING: ("SCHEDULED", "AwaitingRetry"), NodeStatus.REUSED: None,
}
_FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat()


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass
class _Task:
    """One node's task run, as it will be described to Prefect."""

    id: str  # _task_run_id: the same for the same run and node, whoever writes it
    node_id: str
    task_key: str
    retries: int
    retry_delay_s: float
    upstream: list[str]  # node ids
    state: tuple[str, str, str] | None = None  # (type, name, message) of its latest state
    at: datetime | None = None  # when it entered it
    run_count: int = 0
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time: float = 0.0
    running_since: datetime | None = None
    version: int = 0  # changes seen ...
    sent: int = 0  # ... and written
    last_event: str | None = None


@dataclass
class _Run:
    run_id: str
    workflow_id: str
    tasks: dict[str, _Task]
    started: bool = False  # worth a flow run: it started, or ended
    began: bool = False  # its process reported its start
    flow_run_id: str | None = None
    # A flow run Prefect made (a scheduled run's): it is never created here, but set Running
    # once the run began — Prefect created it Scheduled, the schedule loop claimed it Pending.
    existing: bool = False
    running_written: bool = False
    # Recovered after a restart: Prefect may have its whole record already (the stopped
    # process wrote it) — asked before anything is written, and left alone if final there.
    verify: bool = False
    final: tuple[str, str, str | None] | None = None  # (type, name, message)
    final_written: bool = False
    changed_at: float | None = None  # monotonic time of the oldest change not written

    def needs_running(self) -> bool:
        return self.existing and self.began and not self.running_written and self.final is None

    def dirty(self) -> bool:
        return (self.started and self.flow_run_id is None) or any(t.version > t.sent for t in self.tasks.values()) \
            or (self.final is not None and not self.final_written) or self.needs_running()


class CpuMeter:
    """The share of the machine's CPU time in use since the previous call (/proc/stat)."""

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as file:
                fields = [int(v) for v in file.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    def busy(self) -> float:
        now, last = self._read(), self._last
        self._last = now
        if now is None or last is None or now[0] <= last[0]:
            return 0.0
        return 1.0 - (now[1] - last[1]) / (now[0] - last[0])


class PrefectWriter:
    """Writes the flow runs, task runs and final states of the runs `register`ed with it.

    Fed by `observe` (a tap on the API's event hub). `busy()` says whether runs need the
    machine now (`busy_runs`: runs waiting for a slot, or as many running as there are
    cores while the CPU is saturated); `on_flow_runs` receives (run id, flow run id) pairs
    once created."""

    def __init__(self, api_url: str, *, busy: Callable[[], bool] = lambda: False,
                 on_flow_runs: Callable[[list[tuple[str, str]]], None] = lambda pairs: None,
                 write_every_s: float = WRITE_EVERY_S, max_lag_s: float = MAX_LAG_S, give_up_s: float = GIVE_UP_S):
        self.api_url = api_url.rstrip("/")
        self._busy = busy
        self._on_flow_runs = on_flow_runs
        self.write_every_s = write_every_s
        self.max_lag_s = max_lag_s
        self.give_up_s = give_up_s
        self._lock = threading.Condition()
        self._runs: dict[str, _Run] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="prefect-writer", daemon=True)
        self._client: httpx.Client | None = None
        self._flow_id: str | None = None
        self.requests: dict[str, int] = {}  # Prefect requests made, per kind (tests and bench count them)
        self.written = 0  # runs whose record is complete
        self.dropped = 0  # runs given up on
        self.last_error: str | None = None

    # -- the API's side (never blocks on Prefect) ---------------------------------------
    def start(self) -> "PrefectWriter":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread after one last try to write what is pending."""
        self._stop.set()
        with self._lock:
            self._lock.notify()
        self._thread.join(timeout_s)
        if self._client is not None:
            self._client.close()

    def register(self, run_id: str, workflow_id: str, nodes: list[tuple[str, str, int, float, list[str]]],
                 flow_run_id: str | None = None, verify: bool = False) -> None:
        """A run this writer records: its nodes as (id, type, retries, retry delay, upstream
        ids); `flow_run_id`: the flow run Prefect already has of it (a scheduled run's),
        written to instead of creating one; `verify`: only if that flow run is not in a
        final state yet (a run recovered at start-up)."""
        tasks = {node_id: _Task(_task_run_id(run_id, node_id), node_id, f"wirework-node-{node_type}", retries,
                                retry_delay_s, upstream)
                 for node_id, node_type, retries, retry_delay_s, upstream in nodes}
        with self._lock:
            self._runs[run_id] = _Run(run_id, workflow_id, tasks, flow_run_id=flow_run_id,
                                      existing=flow_run_id is not None, verify=verify and flow_run_id is not None)

    def tracks(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._runs

    def observe(self, event: str, data: dict[str, Any]) -> None:
        """An event the API has applied or settled (services/runs.py publishes both on its
        hub, which this taps); those of runs not registered here are ignored. Never raises:
        it runs on the thread that applied the event."""
        try:
            self._observe(event, data)
        except Exception:  # noqa: BLE001 - the event is applied; only Prefect's record of it is lost
            log.exception("run %s: Prefect's record could not take a %s event", data.get("run_id"), event)

    def _observe(self, event: str, data: dict[str, Any]) -> None:
        with self._lock:
            run = self._runs.get(str(data.get("run_id")))
            if run is None:
                return
            if event == "run_started":
                run.started = run.began = True
            elif event == "node_started":
                self._node_started(run, data)
            elif event == "node_finished":
                self._node_finished(run, data)
            elif event == "run_finished":
                state_type = _RUN_STATE.get(RunStatus(data["status"]), "FAILED")
                run.started = True
                run.final = (state_type, state_type.capitalize(), data.get("error"))
            else:
                return
            if run.changed_at is None:
                run.changed_at = time.monotonic()

    def health(self) -> dict[str, Any]:
        with self._lock:
            pending = sum(1 for run in self._runs.values() if run.dirty())
            requests = dict(self.requests)
        return {"pending_runs": pending, "written_runs": self.written, "dropped_runs": self.dropped,
                "requests": sum(requests.values()), "requests_by_kind": requests, "last_error": self.last_error}

    # -- from events to task states (under the lock) ------------------------------------
    def _node_started(self, run: _Run, data: dict[str, Any]) -> None:
        task = run.tasks.get(data.get("node_id", ""))
        at = _when(data.get("at"))
        if task is None or at is None:
            return
        task.run_count = max(task.run_count, int(data.get("attempt") or 1))
        task.start_time = task.start_time or at
        task.running_since = at
        self._set(task, "RUNNING", "Running" if task.run_count == 1 else "Retrying", None, at)

    def _node_finished(self, run: _Run, data: dict[str, Any]) -> None:
        task = run.tasks.get(data.get("node_id", ""))
        try:
            state = _NODE_STATE.get(NodeStatus(str(data.get("status"))))
        except ValueError:
            return
        if task is None or state is None or (state[0] == "PENDING" and not run.began):
            return  # (a run cancelled while queued: its nodes never were tasks of a flow run)
        ended = _when(data.get("ended_at"))
        if ended is None and state[0] in _FINAL:  # ended by the API (RunService.settle): now
            ended = datetime.now(timezone.utc)
        at = ended or task.at or datetime.now(timezone.utc)
        task.run_count = max(task.run_count, int(data.get("attempts") or 0))
        task.start_time = task.start_time or _when(data.get("started_at"))
        if state[0] in _FINAL:
            task.end_time = ended
        error = data.get("error")
        message = f"{error.get('type')}: {error.get('message')}"[:1000] if isinstance(error, dict) else ""
        self._set(task, state[0], state[1], message, at)

    @staticmethod
    def _set(task: _Task, state_type: str, name: str, message: str | None, at: datetime) -> None:
        if task.running_since is not None and state_type != "RUNNING":
            task.total_run_time += max(0.0, (at - task.running_since).total_seconds())
            task.running_since = None
        task.state = (state_type, name, message or "")
        task.at = at
        task.version += 1

    # -- the writer thread ----------------------------------------------------------------
    def _work(self) -> None:
        delay = RETRY_FIRST_S
        wait = self.write_every_s
        while True:
            with self._lock:
                if not self._stop.is_set():
                    self._lock.wait(wait)
            stopping = self._stop.is_set()
            wait = self.write_every_s
            cutoff = float("inf") if stopping else self._due()
            if cutoff is None:
                continue
            try:
                self._write(cutoff)
                delay = RETRY_FIRST_S
                self.last_error = None
            except (httpx.HTTPError, PrefectRefused) as exc:
                self.last_error = str(exc)
                log.info("Prefect did not take the runs' record (%s); trying again in %.0f s", exc, delay)
                wait, delay = delay, min(delay * 2, RETRY_MAX_S)
            except Exception:  # a bug here must not end the thread: the next batch is tried
                log.exception("writing the runs' record to Prefect failed")
                wait = RETRY_MAX_S
            self._drop_expired()
            if stopping:
                return

    def _due(self) -> float | None:
        """What to write now, as a cutoff: the runs changed at or before it (monotonic
        time). Everything when runs leave the machine to it; while they are busy, only the
        runs whose oldest unwritten change has waited `max_lag_s` — so under a steady stream
        of runs the record follows `max_lag_s` behind, a little at a time, not in one heap
        every `max_lag_s`. None: nothing to write."""
        with self._lock:
            changed = [run.changed_at for run in self._runs.values() if run.changed_at is not None]
        if not changed:
            return None
        try:
            busy = self._busy()
        except Exception:  # e.g. the launcher is shutting down
            busy = False
        if not busy:
            return float("inf")
        cutoff = time.monotonic() - self.max_lag_s
        return cutoff if min(changed) <= cutoff else None

    def _write(self, cutoff: float = float("inf")) -> None:
        with self._lock:
            runs = [run for run in self._runs.values() if (run.started or run.final is not None)
                    and run.changed_at is not None and run.changed_at <= cutoff]
        runs = self._verified(runs)
        self._create_flow_runs([run for run in runs if run.flow_run_id is None])
        self._start_flow_runs([run for run in runs if run.existing])
        self._send_task_runs([run for run in runs if run.flow_run_id is not None])
        self._end_flow_runs([run for run in runs if run.flow_run_id is not None])
        with self._lock:
            for run in runs:
                if run.final_written and not run.dirty():
                    self._runs.pop(run.run_id, None)
                    self.written += 1
                elif not run.dirty():
                    run.changed_at = None

    def _create_flow_runs(self, runs: list[_Run]) -> None:
        created: list[tuple[str, str]] = []
        try:
            for run in runs:
                with self._lock:
                    final = run.final
                state = ({"type": "RUNNING", "name": "Running"} if final is None
                         else {"type": final[0], "name": final[1], "message": (final[2] or "")[:2000]})
                body = {"flow_id": self._flow(), "name": f"{run.workflow_id}-{run.run_id[:8]}",
                        "parameters": {"workflow_id": run.workflow_id, "run_id": run.run_id},
                        "idempotency_key": IDEMPOTENCY_PREFIX + run.run_id,  # a retried create is the same flow run
                        "state": state, "tags": [], "context": {}, "empirical_policy": {}}
                try:
                    answer = self._request("create", "POST", "/flow_runs/", body)
                except PrefectRefused as exc:
                    if exc.retry:
                        raise
                    try:  # the flow may be gone (a new Prefect database: HTTP 409): ask for it again
                        self._flow_id = None
                        answer = self._request("create", "POST", "/flow_runs/", {**body, "flow_id": self._flow()})
                    except PrefectRefused as again:
                        if again.retry:
                            raise
                        self._give_up(run, str(again))
                        continue
                with self._lock:
                    run.flow_run_id = str(answer["id"])
                    # Already there (created before a failed answer, say) in another state: set below.
                    run.final_written = final is not None and answer.get("state_type") == final[0] and run.final == final
                created.append((run.run_id, run.flow_run_id))
        finally:
            if created:
                try:
                    self._on_flow_runs(created)
                except Exception as exc:  # the app database is closing: Prefect's record stands anyway
                    log.warning("could not note the Prefect flow runs of %d run(s): %s", len(created), exc)

    def _verified(self, runs: list[_Run]) -> list[_Run]:
        """`runs` less the recovered ones whose flow run Prefect already has in a final state
        (their record was written before the restart): those are dropped, not written again."""
        asked = [run for run in runs if run.verify]
        if not asked:
            return runs
        final: set[str] = set()
        for start in range(0, len(asked), BULK_LIMIT):
            chunk = asked[start:start + BULK_LIMIT]
            found = self._request("verify", "POST", "/flow_runs/filter", {
                "flow_runs": {"id": {"any_": [run.flow_run_id for run in chunk]}}, "limit": len(chunk)})
            final.update(str(fr["id"]) for fr in found or [] if fr.get("state_type") in _FINAL)
        dropped = {run.run_id for run in asked if run.flow_run_id in final}
        with self._lock:
            for run in asked:
                run.verify = False
                if run.run_id in dropped:
                    self._runs.pop(run.run_id, None)
        return [run for run in runs if run.run_id not in dropped]

    def _start_flow_runs(self, runs: list[_Run]) -> None:
        """Prefect's own flow runs (scheduled runs) that began and have not ended: Running."""
        with self._lock:
            starting = [run for run in runs if run.needs_running()]
        for chunk, accepted in self._bulk_set_state(starting, "RUNNING"):
            with self._lock:
                for run in chunk:
                    # Refused (say, the flow run was deleted): not asked again; its end still is.
                    run.running_written = True
                    if run.flow_run_id not in accepted:
                        log.info("run %s: Prefect did not set its flow run %s Running", run.run_id, run.flow_run_id)

    def _bulk_set_state(self, runs: list[_Run], state_type: str) -> Iterator[tuple[list[_Run], set[str]]]:
        """Forced `state_type` for the flow runs of `runs`, `BULK_LIMIT` a request: each
        chunk with the flow run ids Prefect accepted."""
        for start in range(0, len(runs), BULK_LIMIT):
            chunk = runs[start:start + BULK_LIMIT]
            answer = self._request("bulk_set_state", "POST", "/flow_runs/bulk_set_state", {
                "flow_runs": {"id": {"any_": [run.flow_run_id for run in chunk]}},
                "state": {"type": state_type, "name": state_type.capitalize()}, "force": True,
                "limit": BULK_LIMIT})
            yield chunk, {str(r.get("flow_run_id")) for r in (answer or {}).get("results", [])
                          if r.get("status") == "ACCEPT"}

    def _send_task_runs(self, runs: list[_Run]) -> None:
        events: list[dict[str, Any]] = []
        sent: list[tuple[_Task, int, str]] = []
        with self._lock:
            for run in runs:
                for task in run.tasks.values():
                    if task.version > task.sent and task.state is not None:
                        event = self._event(run, task)
                        events.append(event)
                        sent.append((task, task.version, event["id"]))
        for start in range(0, len(events), EVENTS_PER_POST):
            try:
                self._request("events", "POST", "/events", events[start:start + EVENTS_PER_POST])
            except PrefectRefused as exc:
                if exc.retry:
                    raise
                log.warning("Prefect refused %d task run event(s), not sent again: %s",
                            len(events[start:start + EVENTS_PER_POST]), exc)
        with self._lock:
            for task, version, event_id in sent:
                task.sent, task.last_event = version, event_id

    def _end_flow_runs(self, runs: list[_Run]) -> None:
        with self._lock:
            ending = [(run, run.final) for run in runs if run.final is not None and not run.final_written]
        plain: dict[str, list[_Run]] = {}
        for run, final in ending:
            assert final is not None
            if final[2]:
                state = {"type": final[0], "name": final[1], "message": final[2][:2000]}
                try:
                    self._request("set_state", "POST", f"/flow_runs/{run.flow_run_id}/set_state",
                                  {"state": state, "force": True})
                except PrefectRefused as exc:
                    if exc.retry:
                        raise
                    self._give_up(run, str(exc))
                    continue
                with self._lock:
                    run.final_written = run.final == final
            else:
                plain.setdefault(final[0], []).append(run)
        for state_type, group in plain.items():
            for chunk, accepted in self._bulk_set_state(group, state_type):
                with self._lock:
                    for run in chunk:
                        run.final_written = run.flow_run_id in accepted

    def _event(self, run: _Run, task: _Task) -> dict[str, Any]:
        state_type, name, message = task.state or ("PENDING", "Pending", "")
        at = _iso(task.at or datetime.now(timezone.utc))
        fields: dict[str, Any] = {
            "name": task.node_id, "task_key": task.task_key, "dynamic_key": task.node_id,
            "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": task.retries,
                                 "retry_delay": task.retry_delay_s},
            "tags": [], "labels": {},
            "task_inputs": {"wait_for": [{"input_type": "task_run", "id": run.tasks[u].id}
                                         for u in task.upstream if u in run.tasks]},
            "run_count": task.run_count, "flow_run_run_count": 1, "total_run_time": task.total_run_time,
        }
        if task.start_time is not None:
            fields["start_time"] = _iso(task.start_time)
        if task.end_time is not None:
            fields["end_time"] = _iso(task.end_time)
        event_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "id": event_id, "occurred": at, "event": f"prefect.task-run.{name}",
            "resource": {"prefect.resource.id": f"prefect.task-run.{task.id}", "prefect.resource.name": task.node_id,
                         "prefect.run-count": str(task.run_count), "prefect.state-message": message,
                         "prefect.state-name": name, "prefect.state-timestamp": at, "prefect.state-type": state_type,
                         "prefect.orchestration": "client"},
            "related": [{"prefect.resource.id": f"prefect.flow-run.{run.flow_run_id}",
                         "prefect.resource.role": "flow-run", "prefect.resource.name": run.run_id}],
            "payload": {"intended": {"from": None, "to": state_type}, "initial_state": None,
                        "validated_state": {"type": state_type, "name": name, "message": message,
                                            "state_details": {}, "data": None},
                        "task_run": fields},
        }
        if task.last_event is not None:
            event["follows"] = task.last_event
        return event

    def _give_up(self, run: _Run, why: str) -> None:
        with self._lock:
            self._runs.pop(run.run_id, None)
        self.dropped += 1
        log.warning("run %s: Prefect's record of it is incomplete: %s", run.run_id, why)

    def _drop_expired(self) -> None:
        now = time.monotonic()
        with self._lock:
            # Only unwritten changes expire: a long run written up to date waits for its next event.
            expired = [run for run in self._runs.values()
                       if run.changed_at is not None and now - run.changed_at > self.give_up_s]
            for run in expired:
                self._runs.pop(run.run_id, None)
        for run in expired:
            self.dropped += 1
            log.warning("run %s: Prefect's record of it is incomplete (not written within %.0f s: %s)",
                        run.run_id, self.give_up_s, self.last_error or "Prefect did not take it")

    # -- HTTP -------------------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.api_url, timeout=TIMEOUT_S,
                                        headers={**prefect_headers(), "Content-Type": "application/json"})
        return self._client

    def _flow(self) -> str:
        if self._flow_id is None:
            self._flow_id = str(self._request("flow", "POST", "/flows/", {"name": FLOW_NAME})["id"])
        return self._flow_id

    def _request(self, kind: str, method: str, path: str, body: Any) -> Any:
        client = self._http()
        with self._lock:  # health() reads the counts from request threads
            self.requests[kind] = self.requests.get(kind, 0) + 1
        return prefect_request(client, method, path, body)


_TASK_RUNS = uuid.UUID("5f0c7d3e-8d1b-4f5e-9a51-77b2b8a3e0c1")  # namespace of wirework's task run ids


def _task_run_id(run_id: str, node_id: str) -> str:
    return str(uuid.uuid5(_TASK_RUNS, f"{run_id}/{node_id}"))


def recover(writer: PrefectWriter, db: Any, repo: Any, within_s: float = GIVE_UP_S) -> int:
    """At start-up, before active runs left by the previous process are settled: register
    with the writer the runs Prefect may have no complete record of, ended within
    `within_s` or still active — those with no flow run id in the app database, and
    scheduled runs (their flow run is Prefect's: written only if it is not final there
    yet) — fed with what the database holds of them (their nodes' states and times; the
    settling that follows ends the active ones). Returns how many."""
    since = datetime.now(timezone.utc) - timedelta(seconds=within_s)
    count = 0
    candidates = [(run_id, None) for run_id in db.runs_without_flow_run(since)] + db.scheduled_runs_since(since)
    for run_id, flow_run_id in candidates:
        run = db.get_run(run_id)
        if run is None or (flow_run_id is None and (run.get("trigger") or {}).get("trigger") == "schedule"):
            continue  # (a scheduled run without a flow run id: Prefect made none we could write to)
        try:
            workflow = repo.get_version(run["workflow_id"], run["workflow_version"])
            specs = {n.id: (n.type, n.retries, n.retry_delay_s or 0.0) for n in workflow.nodes}
        except Exception:  # e.g. the workflow was deleted since: its nodes' types are unknown
            specs = {}
        inputs = run.get("inputs") or {}
        writer.register(run_id, run["workflow_id"], [
            (n["node_id"], *specs.get(n["node_id"], ("unknown", 0, 0.0)), list(inputs.get(n["node_id"], [])))
            for n in run["nodes"]], flow_run_id=flow_run_id, verify=flow_run_id is not None)
        if run["status"] != "queued":
            writer.observe("run_started", {"run_id": run_id})
        for node in run["nodes"]:
            if node["status"] in ("running", "retrying"):
                writer.observe("node_started", {"run_id": run_id, "node_id": node["node_id"],
                                                "attempt": node["attempts"] or 1, "at": node["started_at"]})
            elif node["status"] != "pending":
                writer.observe("node_finished", {"run_id": run_id, **node})
        if run["ended_at"] is not None:
            writer.observe("run_finished", {"run_id": run_id, "status": run["status"], "error": run["error"],
                                            "at": run["ended_at"]})
        count += 1
    return count


def busy_runs(health: Callable[[], dict[str, Any]], cores: int | None = None) -> Callable[[], bool]:
    """A `busy` for the writer from the launcher's health: runs waiting for a slot, or at
    least as many runs as cores executing while the machine's CPU is saturated."""
    meter = CpuMeter()
    count = cores or os.cpu_count() or 1

    def busy() -> bool:
        state = health()
        saturated = meter.busy() >= BUSY_CPU  # read every time: the share since the last look
        return bool(state.get("queued")) or (int(state.get("running") or 0) >= count and saturated)

    return busy
