"""`wirework worker`: takes runs from the server's Prefect work pool and runs them here,
on any machine that reaches the API.

How a run gets here: the server (with `WIREWORK_LOCAL_WORKERS=0`) puts a flow run of
`run_graph` in the pool per run (engine/server/services/work_pool_runs.py). This process
is a Prefect worker — a `BaseWorker` subclass of its own type, `wirework` — so Prefect's
own polling and Pending proposal decide which worker takes a flow run (exactly one
does). The worker then claims the run's job from the wirework API with its worker
credential (`--token`: `wirework worker-token` on the server — not the API token; it
reaches only `/api/workers/*` and Prefect's proxy) and runs it in a child forked by a
warm run host in the sandbox, with the same `RunLauncher` the server uses locally
(engine/server/services/launcher.py: concurrency, memory watchdog, cancel, kill of the
process tree). The run process reaches stores, secrets and run reporting through the
API only, with its run-scoped token, and Prefect through the API's proxy with its job's
Prefect token; this process's credential is kept out of its environment.

Prefect is reached through the API too (`PREFECT_API_URL=<api>/api/prefect`, the worker
credential as Prefect's auth string), so a remote machine needs `--api` and `--token`
and nothing else: Prefect's port stays on the server's 127.0.0.1.

A heartbeat thread tells the API every second which runs are alive here; the answer
carries cancel requests. If this process dies (kill -9, a lost machine) its runs die
with it (the run host goes with its parent) and the server settles them `crashed` once
the beats stop (WIREWORK_WORKER_TIMEOUT_S there, default 5 s).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from engine.config.work_pool import DEFAULT_POOL, PREFECT_PROXY_PREFIX, RUN_TOKEN_FOR_PREFECT_ENV, WORKER_TYPE

log = logging.getLogger("wirework.worker")
HEARTBEAT_S = 1.0
POLL_S = "1"  # Prefect's poll of the pool (its default, 10 s, is a long wait before every run)
# Never handed to the run host: they would let user code act as this worker or the user.
_SECRET_ENV = ("PREFECT_API_AUTH_STRING", "PREFECT_API_KEY", "WIREWORK_WORKER_TOKEN", "WIREWORK_API_TOKEN")


class WorkerRefused(RuntimeError):
    pass


class ApiLink:
    """This worker's calls to the wirework API, with its worker credential."""

    def __init__(self, api_url: str, token: str, identity: dict[str, Any]):
        self.identity = identity
        self._http = httpx.Client(base_url=api_url.rstrip("/"), timeout=15.0,
                                  headers={"Authorization": f"Bearer {token}"})

    def check(self) -> None:
        """One heartbeat: a wrong token or a server running its runs itself stops us here."""
        try:
            response = self._http.post("/api/workers/heartbeat", json={"worker": self.identity, "runs": []})
        except httpx.HTTPError as exc:
            raise WorkerRefused(f"the API at {self._http.base_url} does not answer: {exc}") from None
        if response.status_code != 200:
            raise WorkerRefused(f"the API refused this worker ({response.status_code}): {_detail(response)}")

    def claim(self, flow_run_id: str) -> dict[str, Any] | None:
        response = self._http.post("/api/workers/claim", json={"flow_run_id": flow_run_id, "worker": self.identity})
        if response.status_code == 409:
            return None
        response.raise_for_status()
        return response.json()["job"]

    def heartbeat(self, runs: list[str]) -> dict[str, list[str]]:
        response = self._http.post("/api/workers/heartbeat", json={"worker": self.identity, "runs": runs})
        response.raise_for_status()
        return response.json()

    def report_exit(self, run_id: str, returncode: int, memory_limit_mb: int | None) -> None:
        body = {"worker": self.identity, "returncode": returncode, "memory_limit_mb": memory_limit_mb}
        for attempt in range(5):  # the server may be restarting: a few tries, then its timeout settles the run
            try:
                response = self._http.post(f"/api/workers/runs/{run_id}/exit", json=body)
                if response.status_code in (204, 404):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5 * (attempt + 1))
        log.warning("could not report the end of run %s to the API", run_id)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))
    except ValueError:
        return response.text[:200]


class LocalRuns:
    """The runs executing on this machine: the server's RunLauncher over a local run host."""

    def __init__(self, api: ApiLink, api_url: str, home: Path, concurrency: int):
        from engine.execution.record_spool import SCRATCH_ENV, prepare_scratch
        from engine.execution.sandbox import sandbox_available, sandboxed, unavailable_reason
        from engine.server.services.launcher import RunLauncher, WorkerExit

        if not sandbox_available():
            log.warning("user code runs WITHOUT a sandbox (%s): install bubblewrap", unavailable_reason())
        self._api = api
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[WorkerExit]]] = {}
        env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV}
        # Big outputs spill to this worker's own scratch folder, on disk and bound into the sandbox.
        scratch = prepare_scratch()
        env.update({"WIREWORK_HOME": str(home), RUN_TOKEN_FOR_PREFECT_ENV: "1", SCRATCH_ENV: str(scratch)})
        self.launcher = RunLauncher(api_url, env, on_exit=self._on_exit, max_concurrent=concurrency,
                                    wrap_command=lambda argv: sandboxed(argv, hidden=[home], shared=[scratch]))

    def start(self) -> None:
        self.launcher.start()

    def running(self) -> list[str]:
        with self._lock:
            return list(self._waiting)

    async def run(self, job: dict[str, Any]) -> int:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._waiting[job["run_id"]] = (loop, future)
        self.launcher.launch(job["run_id"], job)
        return (await future).returncode

    def _on_exit(self, exit: Any) -> None:  # a launcher thread
        self._api.report_exit(exit.run_id, exit.returncode, exit.memory_limit_mb)
        with self._lock:
            waiting = self._waiting.pop(exit.run_id, None)
        if waiting is not None:
            loop, future = waiting
            def settle() -> None:
                if not future.done():
                    future.set_result(exit)

            loop.call_soon_threadsafe(settle)

    def cancel(self, run_id: str) -> None:
        self.launcher.cancel(run_id)

    def shutdown(self) -> None:
        self.launcher.shutdown()


def _heartbeats(api: ApiLink, runs: LocalRuns, stop: threading.Event) -> None:
    warned = False
    while not stop.wait(HEARTBEAT_S):
        try:
            answer = api.heartbeat(runs.running())
        except httpx.HTTPError as exc:
            if not warned:
                log.warning("heartbeat to the API failed (%s); retrying every %.0f s", exc, HEARTBEAT_S)
                warned = True
            continue
        warned = False
        for run_id in {*answer.get("cancel", []), *answer.get("kill", [])}:
            runs.cancel(run_id)  # SIGTERM, then the tree is killed after the launcher's grace


def _worker_class() -> Any:
    from prefect.workers.base import BaseJobConfiguration, BaseVariables, BaseWorker, BaseWorkerResult

    class WireworkWorkerResult(BaseWorkerResult):
        pass

    class WireworkWorker(BaseWorker[BaseJobConfiguration, BaseVariables, WireworkWorkerResult]):
        """A Prefect worker whose infrastructure is a warm, sandboxed wirework run process."""

        type = WORKER_TYPE
        job_configuration = BaseJobConfiguration
        _description = "Runs wirework runs in forked, sandboxed run processes (`wirework worker`)."

        def __init__(self, *, api: ApiLink, runs: LocalRuns, **kwargs: Any):
            super().__init__(**kwargs)
            self._api, self._runs = api, runs

        async def run(self, flow_run: Any, configuration: BaseJobConfiguration,
                      task_status: Any = None) -> WireworkWorkerResult:
            job = await asyncio.to_thread(self._api.claim, str(flow_run.id))
            if task_status is not None:
                task_status.started(os.getpid())
            if job is None:  # taken, cancelled, or a flow run the server no longer knows
                log.warning("flow run %s: the API has no run waiting for it; cancelled in Prefect", flow_run.id)
                await self._mark_flow_run_as_cancelled(
                    flow_run, state_updates={"message": "wirework has no run waiting for this flow run"})
                return WireworkWorkerResult(identifier=str(flow_run.id), status_code=0)
            log.info("run %s (flow run %s) starts", job["run_id"], flow_run.id)
            returncode = await self._runs.run(job)
            log.info("run %s ended (exit code %s)", job["run_id"], returncode)
            # 1: the run finished failed and reported so itself; Prefect knows its state.
            return WireworkWorkerResult(identifier=job["run_id"], status_code=0 if returncode in (0, 1) else returncode)

    return WireworkWorker


def run_worker(api_url: str, token: str, name: str | None, pool: str | None, concurrency: int) -> int:
    api_url = api_url.rstrip("/")
    # Before Prefect is imported: it reads these once.
    os.environ["PREFECT_API_URL"] = api_url + PREFECT_PROXY_PREFIX
    os.environ["PREFECT_API_AUTH_STRING"] = token  # checked and swapped for Prefect's own by the proxy
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", POLL_S)
    os.environ.setdefault("PREFECT_WORKER_PREFETCH_SECONDS", "0")
    from engine.config.paths import data_home
    from engine.config.prefect_env import configure_prefect_env

    configure_prefect_env()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("wirework").setLevel(logging.INFO)
    home = data_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    host = socket.gethostname()
    worker_name = name or host
    api = ApiLink(api_url, token, {"name": worker_name, "host": host, "pid": os.getpid()})
    try:
        api.check()
    except WorkerRefused as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    runs = LocalRuns(api, api_url, home, concurrency)
    runs.start()
    stop = threading.Event()
    threading.Thread(target=_heartbeats, args=(api, runs, stop), name="wirework-heartbeat", daemon=True).start()
    worker = _worker_class()(api=api, runs=runs, work_pool_name=pool or DEFAULT_POOL, name=worker_name,
                             limit=concurrency)

    def stop_on_signal(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    print(f"wirework worker {worker_name!r} (pid {os.getpid()}) takes runs of pool {pool or DEFAULT_POOL!r} "
          f"from {api_url}, {concurrency} at once", flush=True)
    try:
        asyncio.run(worker.start(printer=lambda *a, **k: None))
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        runs.shutdown()
    return 0
