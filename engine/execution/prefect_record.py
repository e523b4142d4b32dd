"""Prefect's record of a run, written beside the run instead of before it (issue 15).

A run started from the run host does not wait for Prefect: its nodes start at once
(engine/execution/direct_run.py) while a `PrefectRecorder` thread in the run process writes
what Prefect keeps of it — the flow run of `run_graph` (created `Running`, with the run's
workflow id and run id as parameters, idempotent on the run id), one task run per node
(recorded the way Prefect 3's own task engine records them: state-change events, which the
server's task run recorder turns into task runs — here sent with `POST /events`, each
second or at the run's end, only each node's latest state: a task run's fields carry its
start, end, run count and run time, so a short run costs one event per node instead of a
websocket per process and three events per node) and the flow run's final state (set
with `force`: the run's outcome is decided by wirework, not by Prefect's orchestration).
Measured with bench/throughput.py: Prefect's server CPU per 3-node run 0.19 → 0.12 s.

Why: Prefect's flow engine made four round trips to its server before a run's first node
(a CSRF token, the flow, the flow run, its Running state), and its task engine's per-task
work in the run process cost more CPU than the node. Prefect stays the orchestrator of
record — every run is a flow run with its task runs and final state in Prefect's database
and UI — but a slow or restarting Prefect server delays only that record: the recorder
retries for up to `wait_s` (a Prefect restart takes 10–25 s here), the run process waits
for it after the run has ended and been reported, then gives up with one warning.

Plain HTTP (httpx) with hand-built JSON, not Prefect's client: building Prefect's client
and pydantic models cost more CPU per run than the requests themselves. What every run
would otherwise ask again — the `run_graph` flow's id and a CSRF token (`wirework up`'s
Prefect server wants one on every write; fetching it is a database write too) — is kept
in a small file in the run processes' temp folder (`SessionCache`), shared by the runs of
one run host; a stale entry is fetched again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

log = logging.getLogger("wirework.prefect_record")

FLOW_NAME = "run_graph"  # the flow every wirework run is a run of (schedules and work pools use it too)
IDEMPOTENCY_PREFIX = "wirework-run-"  # + the run id: a retried create is the same flow run (and the API finds it)
SEND_EVERY_S = 1.0  # a long run's task states reach Prefect about this late (a short run's: at its end)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


def prefect_headers(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The Authorization header Prefect's own client would send (basic auth string or API key)."""
    env = os.environ if environ is None else environ
    if env.get("PREFECT_API_AUTH_STRING"):
        token = base64.b64encode(env["PREFECT_API_AUTH_STRING"].encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if env.get("PREFECT_API_KEY"):
        return {"Authorization": f"Bearer {env['PREFECT_API_KEY']}"}
    return {}


def use_csrf_token(client: httpx.Client) -> dict[str, Any] | None:
    """Ask Prefect for a CSRF token (its CSRF protection is on) and send it with every later
    request of `client`: {"client", "token", "expires"} (a timestamp), or None if refused."""
    client_id = str(uuid.uuid4())
    response = client.get("/csrf-token", params={"client": client_id})
    if response.status_code != 200:
        return None
    token = response.json()
    client.headers["Prefect-Csrf-Token"] = token["token"]
    client.headers["Prefect-Csrf-Client"] = client_id
    expires = datetime.fromisoformat(token["expiration"].replace("Z", "+00:00")).timestamp()
    return {"client": client_id, "token": token["token"], "expires": expires}


class SessionCache:
    """The flow id and CSRF token runs share, in one JSON file per Prefect API URL (written
    whole with a rename, so a reader never sees half of it)."""

    def __init__(self, api_url: str, folder: str | None = None):
        digest = hashlib.sha256(api_url.encode()).hexdigest()[:16]
        self.path = os.path.join(folder or tempfile.gettempdir(), f"wirework-prefect-{os.getuid()}-{digest}.json")

    def read(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as file:
                value = json.load(file)
            return value if isinstance(value, dict) else {}
        except (OSError, ValueError):
            return {}

    def update(self, **fields: Any) -> None:
        try:
            value = {**self.read(), **fields}
            handle, temp = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".wirework-prefect-")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(value, file)
            os.replace(temp, self.path)
        except OSError:
            pass  # no cache: every run asks Prefect again


@dataclass
class _Task:
    """One node's task run, as the recorder will describe it."""

    id: str
    node_id: str
    task_key: str
    retries: int
    retry_delay_s: float
    upstream: list[str]  # task run ids
    run_count: int = 0
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time: float = 0.0
    running_since: datetime | None = None
    last_event: str | None = None
    state: tuple[str, str] | None = None  # (type, name) of the last recorded state


@dataclass
class _Transition:
    task: _Task
    type: str
    name: str
    message: str | None
    at: datetime
    snapshot: dict[str, Any] = field(default_factory=dict)


class PrefectRecorder:
    """Writes one run's flow run and task runs to Prefect from a background thread.

    `start` begins (creating the flow run, or taking over an existing one), the `task_*`
    calls and `finish` never block, `close` waits for everything to be written."""

    def __init__(self, api_url: str, run_id: str, workflow_id: str, *, flow_run_id: str | None = None,
                 headers: dict[str, str] | None = None, wait_s: float = 120.0, verify: Any = True,
                 cache: SessionCache | None = None):
        self.run_id = run_id
        self.workflow_id = workflow_id
        self._flow_run_id = flow_run_id
        self._existing = flow_run_id is not None
        self._wait_s = wait_s
        self._client = httpx.Client(base_url=api_url.rstrip("/"), timeout=10.0, verify=verify,
                                    headers={**(headers if headers is not None else prefect_headers()),
                                             "Content-Type": "application/json"})
        self._cache = cache if cache is not None else SessionCache(api_url)
        self._session = self._cache.read()
        self._csrf_checked = False
        if self._session.get("csrf_token") and float(self._session.get("csrf_expires", 0)) > time.time() + 60:
            self._client.headers["Prefect-Csrf-Token"] = self._session["csrf_token"]
            self._client.headers["Prefect-Csrf-Client"] = self._session["csrf_client"]
        self._cond = threading.Condition()
        self._pending: list[_Transition] = []
        self._tasks: dict[str, _Task] = {}
        self._final: dict[str, Any] | None = None
        self._created = threading.Event()  # the flow run's id is known (or we gave up)
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._deadline = 0.0
        self.failed: str | None = None  # why the record could not be written, once given up

    # -- the run's side ------------------------------------------------------------
    def start(self) -> None:
        """Begin writing (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._deadline = time.monotonic() + self._wait_s
        self._thread = threading.Thread(target=self._work, name="prefect-record", daemon=True)
        self._thread.start()

    def flow_run_id(self, timeout_s: float = 0.0) -> str | None:
        """The flow run's id, waiting up to `timeout_s` for Prefect to answer."""
        self._created.wait(timeout_s)
        return self._flow_run_id

    def task_pending(self, node_id: str, node_type: str, upstream: list[str], retries: int = 0,
                     retry_delay_s: float = 0.0) -> None:
        with self._cond:
            task = _Task(id=str(uuid.uuid4()), node_id=node_id, task_key=f"wirework-node-{node_type}",
                         retries=retries, retry_delay_s=retry_delay_s,
                         upstream=[self._tasks[u].id for u in upstream if u in self._tasks])
            self._tasks[node_id] = task
            self._transition(task, "PENDING", "Pending", None, _now())

    def task_running(self, node_id: str) -> None:
        with self._cond:
            task = self._tasks[node_id]
            at = _now()
            task.run_count += 1
            task.start_time = task.start_time or at
            task.running_since = at
            self._transition(task, "RUNNING", "Running" if task.run_count == 1 else "Retrying", None, at)

    def task_retrying(self, node_id: str, message: str | None) -> None:
        with self._cond:
            self._transition(self._tasks[node_id], "SCHEDULED", "AwaitingRetry", message, _now())

    def task_ended(self, node_id: str, state_type: str, message: str | None = None) -> None:
        """COMPLETED, FAILED or CANCELLED."""
        with self._cond:
            task = self._tasks[node_id]
            at = _now()
            task.end_time = at
            self._transition(task, state_type, state_type.capitalize(), message, at)

    def finish(self, state_type: str, message: str | None = None) -> None:
        """The flow run's final state (COMPLETED, FAILED, CANCELLED); written after the task runs."""
        with self._cond:
            self._final = {"type": state_type, "name": state_type.capitalize(), "message": message}
            self._cond.notify()

    def close(self, timeout_s: float | None = None) -> bool:
        """Wait until everything is written (or the recorder gave up); True if written."""
        with self._cond:
            if self._final is None:
                self._final = {"type": "CRASHED", "name": "Crashed", "message": "the run ended without a final state"}
            self._cond.notify()
        self.start()  # a run that failed before its nodes were submitted is recorded too
        if self._thread is not None:
            self._thread.join(self._wait_s + 15 if timeout_s is None else timeout_s)
        self._client.close()
        return self._done.is_set() and self.failed is None

    def _transition(self, task: _Task, state_type: str, name: str, message: str | None, at: datetime) -> None:
        if task.running_since is not None and state_type != "RUNNING":
            task.total_run_time += (at - task.running_since).total_seconds()
            task.running_since = None
        task.state = (state_type, name)
        self._pending.append(_Transition(task, state_type, name, message, at, self._task_fields(task)))

    @staticmethod
    def _task_fields(task: _Task) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "name": task.node_id, "task_key": task.task_key, "dynamic_key": task.node_id,
            "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": task.retries,
                                 "retry_delay": task.retry_delay_s},
            "tags": [], "labels": {},
            "task_inputs": {"wait_for": [{"input_type": "task_run", "id": u} for u in task.upstream]},
            "run_count": task.run_count, "flow_run_run_count": 1, "total_run_time": task.total_run_time,
        }
        if task.start_time is not None:
            fields["start_time"] = _iso(task.start_time)
        if task.end_time is not None:
            fields["end_time"] = _iso(task.end_time)
        return fields

    # -- the recorder thread -------------------------------------------------------
    def _work(self) -> None:
        try:
            if not self._existing:
                self._flow_run_id = self._retrying("create the flow run", self._create_flow_run)
            else:
                self._retrying("set the flow run running", lambda: self._set_state(
                    {"type": "RUNNING", "name": "Running"}, force=True))
            self._created.set()
            while True:
                with self._cond:
                    if self._final is None:
                        self._cond.wait(SEND_EVERY_S)  # woken early only by the run's end
                    batch, self._pending = self._pending, []
                    final = self._final
                if batch:
                    events = [self._event(t) for t in _latest_per_task(batch)]
                    self._retrying("record the task runs", lambda: self._request("POST", "/events", events))
                if final is not None:
                    with self._cond:
                        if self._pending:
                            continue  # transitions that came in meanwhile go first
                    self._retrying("set the flow run's final state", lambda: self._set_state(final, force=True))
                    self._done.set()
                    return
        except _GaveUp as exc:
            self.failed = str(exc)
            log.warning("run %s: Prefect's record of the run is incomplete: %s", self.run_id, exc)
        finally:
            self._created.set()
            self._done.set()

    def _retrying(self, what: str, call: Any) -> Any:
        delay = 0.25
        while True:
            try:
                return call()
            except (httpx.HTTPError, _Refused) as exc:
                if isinstance(exc, _Refused) and not exc.retry:
                    raise _GaveUp(f"could not {what}: {exc}") from None
                if time.monotonic() + delay > self._deadline:
                    raise _GaveUp(f"could not {what} within {self._wait_s:.0f} s: {exc}") from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _request(self, method: str, path: str, body: Any) -> Any:
        for _ in range(2):
            response = self._client.request(method, path, json=body)
            if response.status_code == 403 and "CSRF" in response.text and not self._csrf_checked:
                self._fetch_csrf_token()
                continue
            break
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise _Refused(f"{method} {path}: HTTP {response.status_code}", retry=True)
        if response.status_code >= 400:
            raise _Refused(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}", retry=False)
        return response.json() if response.content else None

    def _fetch_csrf_token(self) -> None:
        self._csrf_checked = True
        token = use_csrf_token(self._client)
        if token is not None:
            self._cache.update(csrf_client=token["client"], csrf_token=token["token"], csrf_expires=token["expires"])

    def _flow_id(self, fresh: bool = False) -> str:
        if not fresh and self._session.get("flow_id"):
            return str(self._session["flow_id"])
        flow_id = str(self._request("POST", "/flows/", {"name": FLOW_NAME})["id"])
        self._cache.update(flow_id=flow_id)
        self._session["flow_id"] = flow_id
        return flow_id

    def _create_flow_run(self) -> str:
        cached = bool(self._session.get("flow_id"))
        try:
            return self._post_flow_run(self._flow_id())
        except _Refused as exc:
            if not cached or exc.retry:
                raise
            return self._post_flow_run(self._flow_id(fresh=True))  # e.g. a new Prefect database

    def _post_flow_run(self, flow_id: str) -> str:
        created = self._request("POST", "/flow_runs/", {
            "flow_id": flow_id, "name": f"{self.workflow_id}-{self.run_id[:8]}",
            "parameters": {"workflow_id": self.workflow_id, "run_id": self.run_id},
            "idempotency_key": IDEMPOTENCY_PREFIX + self.run_id,  # a retried POST is the same flow run
            "state": {"type": "RUNNING", "name": "Running"},  # timestamped by the server (StateCreate has none)
            "tags": [], "context": {}, "empirical_policy": {},
        })
        return str(created["id"])

    def _set_state(self, state: dict[str, Any], force: bool) -> None:
        self._request("POST", f"/flow_runs/{self._flow_run_id}/set_state", {"state": state, "force": force})

    def _event(self, transition: _Transition) -> dict[str, Any]:
        task, event_id = transition.task, str(uuid.uuid4())
        state: dict[str, Any] = {"type": transition.type, "name": transition.name, "message": transition.message or "",
                 "state_details": {}, "data": None}
        event: dict[str, Any] = {
            "id": event_id, "occurred": _iso(transition.at), "event": f"prefect.task-run.{transition.name}",
            "resource": {"prefect.resource.id": f"prefect.task-run.{task.id}", "prefect.resource.name": task.node_id,
                         "prefect.run-count": str(transition.snapshot["run_count"]),
                         "prefect.state-message": transition.message or "", "prefect.state-name": transition.name,
                         "prefect.state-timestamp": _iso(transition.at), "prefect.state-type": transition.type,
                         "prefect.orchestration": "client"},
            "related": [{"prefect.resource.id": f"prefect.flow-run.{self._flow_run_id}",
                         "prefect.resource.role": "flow-run", "prefect.resource.name": self.run_id}],
            "payload": {"intended": {"from": None, "to": transition.type}, "initial_state": None,
                        "validated_state": state, "task_run": transition.snapshot},
        }
        if task.last_event is not None:
            event["follows"] = task.last_event
        task.last_event = event_id
        return event


def _latest_per_task(batch: list[_Transition]) -> list[_Transition]:
    """Each task's last transition of the batch: a task run is recorded from whichever of
    its events arrives (its fields carry start, end, run count and run time), so a node
    that started and ended between two sends costs Prefect one event, not three."""
    latest = {t.task.id: t for t in batch}
    return [t for t in batch if latest[t.task.id] is t]


class _Refused(Exception):
    def __init__(self, message: str, retry: bool):
        super().__init__(message)
        self.retry = retry


class _GaveUp(Exception):
    pass
