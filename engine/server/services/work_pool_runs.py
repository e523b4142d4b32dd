"""Runs executed by remote `wirework worker` processes through a Prefect work pool
(lives in the API process; used when `WIREWORK_LOCAL_WORKERS=0`).

It is a `RunProcessSource` for the ordinary `RunLauncher` (services/launcher.py), so the
server-wide and per-workflow concurrency limits, the queue, cancel and the settling of
runs that end without reporting stay where they are. What differs is where a run goes:

1. `run()` creates a Prefect flow run of `run_graph` in the work pool (Scheduled, its
   only parameter the workflow id — the workflow document, trigger and token never
   travel through Prefect) and remembers the job under the flow run's id.
2. A worker's Prefect BaseWorker polls the pool and claims the flow run with Prefect's
   own Pending proposal — one worker wins — then calls `claim()` here with its worker
   credential, which hands over the job (with the run's run-scoped token) once: a
   second claim of the same flow run gets nothing. The run records the worker.
3. The worker beats every second (`beat()`: its runs; the answer carries cancel and
   kill requests) and reports each run's process exit (`exited()`). A worker that
   stops beating for `WIREWORK_WORKER_TIMEOUT_S` (default 5 s) — killed, its machine
   gone, the network cut — has its runs ended as if their process had been killed, so
   the launcher settles them `crashed` within seconds.

Memory limits are the worker's: it runs the same launcher locally, with its watchdog.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger("wirework.work_pool")
TIMEOUT_ENV = "WIREWORK_WORKER_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 5.0
REAP_EVERY_S = 0.5
CREATE_RETRY_S = (0.5, 5.0)
CREATE_GIVE_UP_S = 120.0  # as long as a local run waits for an unreachable Prefect


def worker_timeout_s(environ: dict[str, str] | None = None) -> float:
    raw = (os.environ if environ is None else environ).get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise ValueError(f"{TIMEOUT_ENV} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{TIMEOUT_ENV} must be above 0, not {raw!r}")
    return value


@dataclass(frozen=True)
class WorkerId:
    name: str
    host: str
    pid: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "host": self.host, "pid": self.pid}


@dataclass
class _Worker:
    last_beat: float
    runs: set[str] = field(default_factory=set)


class RemoteRun:
    """A run handed to the pool, as the launcher sees it (a RunProcess without a pid here:
    the launcher's memory watchdog skips it; the worker watches memory itself)."""

    def __init__(self, run_id: str, job: dict[str, Any] | None, source: "WorkPoolRuns"):
        self.run_id = run_id
        self.job = job  # until claimed
        self.flow_run_id: str | None = None
        self.worker: WorkerId | None = None
        self.requested: str | None = None  # "cancel" | "kill", delivered with the worker's next beat
        # The run process's credential for Prefect's proxy: its run token ends with the run's
        # end event, before the flow run's final state reaches Prefect; this one ends with
        # the process (its exit, or its worker's lost heartbeat).
        self.prefect_token = "rpf-" + secrets.token_urlsafe(32)
        self._source = source
        self._returncode: int | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return None

    @property
    def returncode(self) -> int | None:
        return self._returncode

    def finished(self, returncode: int) -> None:
        with self._lock:
            if self._returncode is not None:
                return
            self._returncode = returncode
        self._done.set()
        self._source._forget(self)

    def wait(self) -> int:
        self._done.wait()
        return self._returncode if self._returncode is not None else -signal.SIGKILL

    def signal_group(self, sig: int) -> None:
        self._source._request(self, "kill" if sig == signal.SIGKILL else "cancel")

    def kill_tree(self) -> None:
        self._source._request(self, "kill")


class WorkPoolRuns:
    """See the module docstring."""

    def __init__(self, pool: str, on_claimed: Callable[[str, dict[str, Any]], None],
                 timeout_s: float | None = None, client_factory: Callable[[], Any] | None = None):
        self.pool = pool
        self.timeout_s = timeout_s or worker_timeout_s()
        self._on_claimed = on_claimed
        self._client_factory = client_factory or _prefect_client
        # A Prefect client per thread: one client shared by the creating threads raced on
        # its CSRF token (Prefect answered 403 "Invalid CSRF token" to each in turn).
        self._clients = threading.local()
        self._all_clients: list[Any] = []
        self._flow_id: Any = None
        self._lock = threading.Lock()
        self._runs: dict[str, RemoteRun] = {}  # run id -> handle, until it ends
        self._by_flow_run: dict[str, RemoteRun] = {}
        self._prefect_tokens: dict[str, str] = {}  # prefect token -> run id, claimed runs only
        self._workers: dict[WorkerId, _Worker] = {}
        self._pool_ready = threading.Event()
        self._closed = threading.Event()
        self._creator = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wirework-pool-create")
        self._reaper = threading.Thread(target=self._reap, name="wirework-pool-reaper", daemon=True)

    # -- RunProcessSource ------------------------------------------------------------
    def start(self) -> None:
        if not self._reaper.is_alive():
            self._reaper.start()

    def health(self) -> dict[str, Any]:
        # Counts only: /api/health answers without a token, so it names no worker's host or pid.
        with self._lock:
            workers = len(self._workers)
            running = sum(len(state.runs) for state in self._workers.values())
            waiting = sum(1 for r in self._runs.values() if r.worker is None)
        return {"mode": "work_pool", "pool": self.pool, "host_ready": bool(workers), "workers": workers,
                "runs_on_workers": running, "waiting_for_a_worker": waiting}

    def run(self, run_id: str, job: dict[str, Any] | None) -> RemoteRun:
        handle = RemoteRun(run_id, {**job, "run_id": run_id} if job is not None else None, self)
        if job is None or self._closed.is_set():
            handle.finished(0 if job is None else -signal.SIGKILL)
            return handle
        with self._lock:
            self._runs[run_id] = handle
        self._creator.submit(self._put_in_pool, handle)
        return handle

    def shutdown(self, timeout_s: float) -> None:
        self._closed.set()
        self._creator.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            rest = list(self._runs.values())
        for handle in rest:
            handle.finished(-signal.SIGKILL)
        self._reaper.join(timeout_s)
        for client in self._all_clients:
            try:
                client.__exit__(None, None, None)
            except Exception:
                pass

    # -- Prefect -------------------------------------------------------------------
    def _prefect(self) -> Any:
        client = getattr(self._clients, "client", None)
        if client is None:
            client = self._client_factory()
            client.__enter__()
            self._clients.client = client
            with self._lock:
                self._all_clients.append(client)
        return client

    def _drop_client(self) -> None:
        """After a failure: this thread's next call makes a fresh client (Prefect may have restarted)."""
        client, self._clients.client = getattr(self._clients, "client", None), None
        if client is not None:
            with self._lock:
                self._all_clients = [c for c in self._all_clients if c is not client]
            try:
                client.__exit__(None, None, None)
            except Exception:
                pass

    def _ensure_pool(self, client: Any) -> None:
        if self._pool_ready.is_set():
            return
        from prefect.client.schemas.actions import WorkPoolCreate
        from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

        from engine.config.work_pool import WORKER_TYPE, base_job_template

        try:
            client.read_work_pool(self.pool)
        except ObjectNotFound:
            try:
                client.create_work_pool(WorkPoolCreate(name=self.pool, type=WORKER_TYPE,
                                                       base_job_template=base_job_template()))
            except ObjectAlreadyExists:
                pass  # a worker made it meanwhile
        self._flow_id = client.create_flow_from_name("run_graph")
        self._pool_ready.set()

    def _put_in_pool(self, handle: RemoteRun) -> None:
        """A flow run in the pool for this run; retried while Prefect does not answer."""
        from prefect.client.schemas.actions import FlowRunCreate
        from prefect.states import Cancelled, Scheduled, to_state_create

        job = handle.job
        if job is None:
            return
        began, backoff = time.monotonic(), CREATE_RETRY_S[0]
        while not self._closed.is_set() and handle.returncode is None:
            try:
                client = self._prefect()
                self._ensure_pool(client)
                if job.get("kind") == "flow_run" and job.get("flow_run_id"):
                    # A scheduled run: the server claimed Prefect's scheduled flow run; a
                    # worker runs it as a flow run of the pool, so that one ends here.
                    client.set_flow_run_state(job["flow_run_id"], Cancelled(
                        message=f"run by a wirework worker of pool {self.pool!r} (run {handle.run_id})"), force=True)
                body = FlowRunCreate(flow_id=self._flow_id, name=f"wirework-{handle.run_id[:8]}",
                                     parameters={"workflow_id": job["workflow"]["id"]},
                                     tags=["wirework", f"wirework-run:{handle.run_id}"],
                                     state=to_state_create(Scheduled()), work_pool_name=self.pool)
                response = client.request("POST", "/flow_runs/", json=body.model_dump(mode="json", exclude_unset=True))
                flow_run_id = str(response.json()["id"])
                break
            except Exception as exc:
                self._drop_client()
                if time.monotonic() - began > CREATE_GIVE_UP_S:
                    log.error("run %s: could not put it in the work pool %r for %.0f s: %s", handle.run_id, self.pool,
                              CREATE_GIVE_UP_S, exc)
                    handle.finished(1)
                    return
                log.warning("run %s: putting it in the work pool failed (%s); retrying", handle.run_id, exc)
                self._closed.wait(backoff)
                backoff = min(backoff * 2, CREATE_RETRY_S[1])
        else:
            return
        with self._lock:
            handle.job = {**job, "kind": "flow_run", "flow_run_id": flow_run_id}
            handle.flow_run_id = flow_run_id
            self._by_flow_run[flow_run_id] = handle
            cancelled = handle.requested is not None
        if cancelled:  # cancelled while the flow run was being made
            self._request(handle, handle.requested or "cancel")

    def _cancel_flow_run(self, flow_run_id: str, message: str) -> None:
        from prefect.states import Cancelled

        try:
            self._prefect().set_flow_run_state(flow_run_id, Cancelled(message=message), force=True)
        except Exception as exc:
            log.warning("could not cancel flow run %s in Prefect: %s", flow_run_id, exc)

    # -- what workers call (engine/server/routes/workers.py) ---------------------------
    def claim(self, flow_run_id: str, worker: WorkerId) -> dict[str, Any] | None:
        """The job of a flow run this worker took from the pool, once; None if it is not
        a run of this server, already claimed, or cancelled meanwhile."""
        with self._lock:
            handle = self._by_flow_run.get(flow_run_id)
            if handle is None or handle.worker is not None or handle.job is None or handle.requested is not None:
                return None
            job, handle.job, handle.worker = {**handle.job, "prefect_token": handle.prefect_token}, None, worker
            self._prefect_tokens[handle.prefect_token] = handle.run_id
            state = self._workers.setdefault(worker, _Worker(time.monotonic()))
            state.last_beat = time.monotonic()
            state.runs.add(handle.run_id)
        try:
            self._on_claimed(handle.run_id, worker.as_dict())
        except Exception:
            log.exception("recording the worker of run %s failed", handle.run_id)
        return job

    def beat(self, worker: WorkerId, running: list[str]) -> dict[str, list[str]]:
        """A worker is alive; the answer: the runs it should cancel or kill."""
        answer: dict[str, list[str]] = {"cancel": [], "kill": []}
        with self._lock:
            state = self._workers.setdefault(worker, _Worker(time.monotonic()))
            state.last_beat = time.monotonic()
            for run_id in state.runs:
                handle = self._runs.get(run_id)
                if handle is not None and handle.requested is not None:
                    answer[handle.requested].append(run_id)
        return answer

    def exited(self, run_id: str, worker: WorkerId, returncode: int) -> bool:
        """A worker's run process ended; False if this run is not this worker's."""
        with self._lock:
            handle = self._runs.get(run_id)
            if handle is None or handle.worker != worker:
                return False
        handle.finished(returncode)
        return True

    def is_prefect_token(self, token: str) -> bool:
        with self._lock:
            return token in self._prefect_tokens

    def worker_of(self, run_id: str) -> WorkerId | None:
        with self._lock:
            handle = self._runs.get(run_id)
            return handle.worker if handle is not None else None

    # -- internals -----------------------------------------------------------------
    def _request(self, handle: RemoteRun, action: str) -> None:
        if handle.returncode is not None:
            return
        with self._lock:
            if handle.requested != "kill":
                handle.requested = action
            unclaimed = handle.worker is None
            flow_run_id = handle.flow_run_id
        if unclaimed:
            # No worker has it: it never starts (a worker that takes the flow run now
            # finds it cancelled in Prefect, and the claim here answers nothing).
            if flow_run_id is not None:
                self._cancel_flow_run(flow_run_id, "cancelled in wirework before a worker took it")
                handle.finished(-signal.SIGTERM)
            # else: _put_in_pool sees `requested` and comes back here with the flow run

    def _forget(self, handle: RemoteRun) -> None:
        with self._lock:
            self._runs.pop(handle.run_id, None)
            self._prefect_tokens.pop(handle.prefect_token, None)
            if handle.flow_run_id is not None:
                self._by_flow_run.pop(handle.flow_run_id, None)
            if handle.worker is not None and handle.worker in self._workers:
                self._workers[handle.worker].runs.discard(handle.run_id)

    def _reap(self) -> None:
        while not self._closed.wait(REAP_EVERY_S):
            now = time.monotonic()
            with self._lock:
                lost = [(w, s) for w, s in self._workers.items() if now - s.last_beat > self.timeout_s]
                for worker, _ in lost:
                    del self._workers[worker]
                stranded = [(w, self._runs[r]) for w, s in lost for r in s.runs if r in self._runs]
            for worker, handle in stranded:
                log.warning("worker %s (host %s, pid %d) sent no heartbeat for %.0f s: its run %s ends as crashed",
                            worker.name, worker.host, worker.pid, self.timeout_s, handle.run_id)
                handle.finished(-signal.SIGKILL)


def _prefect_client() -> Any:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)
