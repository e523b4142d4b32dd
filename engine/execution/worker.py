"""What a run process runs: one job, then the process ends.

A run process is a child forked by the run host (engine/execution/run_host.py, which
calls `warm_up` once and `run_in_this_process` in each child) or, with
`WIREWORK_RUN_PROCESSES=spawn`, a fresh `python -m engine.execution.worker` started
*warm* by the launcher, which pays the imports before any run is asked for and then
blocks on stdin for one JSON job line. Either way one process per run keeps user code
out of the API process, lets a run be cancelled or time out by killing its process, and
returns all memory to the system when it ends.

Job lines (each carries the run's own token: it reaches only the secrets, stores and
projects that run's workflow names, and dies with the run):
  {"kind": "run", "run_id", "token", "workflow": {...}, "trigger": {...}}                 run now / webhook / schedule
  {"kind": "flow_run", "run_id", "token", "flow_run_id", "workflow": {...}, "trigger"}    a flow run Prefect made

The worker's environment holds no credential of the server: a warm spare waits before
anyone knows which run it will execute.

Cancelling a run sends SIGTERM to the worker's process group (then SIGKILL of its whole
tree after a grace, engine/server/services/launcher.py). While a run executes, SIGTERM cancels it instead of
killing the process: the run's cancel event is set, so a node that checks it
(`ctx.check_cancelled()`: python.yield and http.scrape code every 1000 items, labeling
enrichment per batch) stops with RunCancelled, nodes not yet started do not start, and
the worker reports the run `cancelled` itself. A node that never checks (a blocking
call) cannot be stopped that way: the worker gives up after `CANCEL_GRACE_S` and exits,
and the launcher settles the run as cancelled. A waiting spare just dies.

The worker owns the processes its run starts (engine/execution/process_tree.py): it is a
child subreaper, so what a node's subprocess leaves behind (even after `setsid`) is
re-parented to the worker rather than pid 1, and when the run ends — completed, failed,
cancelled, or the worker giving up — every process below the worker is killed before it
exits. (Inside the sandbox the PID namespace does the same when the worker goes; this
holds without bubblewrap too.)

A "run" job (run now, webhook, and a scheduled run of a server that runs its own runs)
whose Prefect record the API writes (the job says `"prefect_record": "api"`,
engine/server/services/prefect_writer.py) starts its first node at once and never talks
to Prefect: its nodes run on threads of this process (engine/execution/direct_run.py) and
the API writes the flow run — for a scheduled run, the one Prefect's scheduler made —
task runs and final state from the events the run reports. Without it (no Prefect server
to write to, runs through a work pool, or `WIREWORK_RUN_NODES=prefect` on the server) a
"run" job runs its nodes as Prefect tasks of a Prefect flow run instead, as "flow_run"
jobs (a scheduled run there, a work pool's run on a remote worker) always do: before
those start, the worker waits for the Prefect server to answer its health check, so a
run started while it restarts stays `queued` and then proceeds instead of crashing on
"Failed to reach API".
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator, cast

import orjson

from engine.config.prefect_env import configure_prefect_env, no_ca_bundle_for_plain_http
from engine.execution import process_tree

if TYPE_CHECKING:
    from prefect.states import State

    from engine.execution.executor import ActiveRun, RunEnvironment

API_URL_ENV = "WIREWORK_API_URL"
# How long a cancelled run may take to stop on its own before the worker exits anyway;
# shorter than the launcher's grace before SIGKILL (CANCEL_GRACE_S there, 1.5 s), so a
# node that checks its cancel event is reported by the worker itself.
CANCEL_GRACE_S = 1.0
# How long a run waits for an unreachable Prefect server (a restart takes 10–25 s here).
PREFECT_WAIT_S = 120.0
PREFECT_DRAIN_S = 10.0  # a Prefect-engine run's queued events, sent before its process exits
RUN_NODES_ENV = "WIREWORK_RUN_NODES"  # "threads" (default) or "prefect", read by the API; see the module docstring
log = logging.getLogger("wirework.worker")
_no_heartbeats: contextlib.AbstractContextManager[Any] | None = None  # see warm_up


class RefusedJob(RuntimeError):
    """A job this worker will not run (e.g. a scheduled flow run whose parameters were altered)."""


def warm_up() -> None:
    # The expensive imports, before any job — also those Prefect makes lazily inside a
    # run (task engine, concurrency, parameter serialisation through fastapi's encoder,
    # anyio's backend): in a forked run they would cost ~0.25 s every time.
    import anyio._backends._asyncio  # noqa: F401
    import fastapi.encoders  # noqa: F401
    import prefect.concurrency.sync  # noqa: F401
    import prefect.flow_engine  # noqa: F401
    import prefect.task_engine  # noqa: F401
    import prefect.utilities.visualization  # noqa: F401

    from nodes import default_registry

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from engine.client import pipe_reporting, reporting, run_data_client, store_client  # noqa: F401
    from engine.config import work_pool  # noqa: F401  (read by _prefect_auth_of in every run)
    from engine.execution import direct_run, prefect_record  # noqa: F401
    from engine.execution import run_data  # noqa: F401  (and pyarrow with it: every run keeps its data)
    import pyarrow.ipc  # noqa: F401
    # Every forked run reseeds numpy's global random state (run_host._reseed_libraries),
    # and `numpy.random` is imported lazily: without this each run imported it (~8 ms CPU).
    import numpy.random  # noqa: F401
    import httpx

    from engine.client.tls import freeze_environment_proxies, shared_ssl_context
    from engine.execution import executor

    shared_ssl_context()
    freeze_environment_proxies()
    # No flow-run heartbeats, for the life of this process: the launcher sees a run's
    # process end the moment it does and settles the run itself, while Prefect's heartbeat
    # thread, sleeping in 1 s steps, held the end of every run up by up to a second (it is
    # joined). Entered once here rather than per run: building the settings costs ~0.1 s.
    global _no_heartbeats
    _no_heartbeats = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    _no_heartbeats.__enter__()  # kept referenced: a collected generator would leave the context

    default_registry()
    _warm_graph_functions()
    # httpx compiles its URL-quoting regular expressions on first use (~5 ms per run).
    with httpx.Client(base_url="http://127.0.0.1:9/api", verify=shared_ssl_context()) as client:
        client.build_request("POST", "/internal/runs/x/events?a=b", json={})
    # Everything imported so far lives as long as the process: move it out of the
    # garbage collector's sight, so collections triggered by a run's many new records
    # do not re-scan Prefect's and pydantic's object graph (bench/engine.py: ~2x).
    gc.freeze()


def _warm_graph_functions() -> None:
    """networkx compiles its dispatching wrappers on a function's first call (~4 ms in
    every forked run): call those a run uses once here."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edge("a", "b", order=0)
    list(nx.lexicographical_topological_sort(graph, key=str))
    list(graph.predecessors("b"))
    list(graph.in_edges("b", data=True))
    list(graph.out_edges("a", data=True))


@contextlib.contextmanager
def sigterm_cancels(active: ActiveRun) -> Iterator[None]:
    """While the run's nodes execute, SIGTERM cancels the run (see the module docstring).

    Installed inside Prefect's flow engine, which has its own SIGTERM handler for the
    flow's duration (it would mark the flow run crashed); restored afterwards."""

    def give_up() -> None:
        log.warning("run %s did not stop within %.0f s of SIGTERM; exiting", active.run_id, CANCEL_GRACE_S)
        process_tree.kill_tree(os.getpid(), include_root=False)
        os._exit(128 + signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        if active.cancel_event.is_set():
            return
        log.info("SIGTERM: cancelling run %s", active.run_id)
        active.cancel()
        timer = threading.Timer(CANCEL_GRACE_S, give_up)
        timer.daemon = True
        timer.start()

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _environment(api_url: str, job: dict[str, Any],
                 finish_fields: Callable[[], dict[str, Any]] | None = None,
                 report_fd: int | None = None) -> RunEnvironment:
    """What the run reports to and reads from: over HTTP, or — a child of the run host
    (`report_fd`) — its events and small data parts through the host's pipe
    (engine/client/pipe_reporting.py)."""
    from engine.execution.executor import RunEnvironment
    from engine.client.pipe_reporting import PipeRunData, PipeRunObserver, ReportPipe
    from engine.client.reporting import HttpRunObserver
    from engine.client.run_data_client import HttpRunData
    from engine.client.store_client import HttpStoreClient

    store_client = HttpStoreClient(api_url, job["token"])
    observer: Any
    run_data: Any
    if report_fd is None:
        observer = HttpRunObserver(api_url, job["token"], finish_fields=finish_fields)
        run_data = HttpRunData(api_url, job["token"])
    else:
        pipe = ReportPipe(report_fd)
        observer = PipeRunObserver(pipe, finish_fields=finish_fields)
        run_data = PipeRunData(pipe, lambda: HttpRunData(api_url, job["token"]))
    return RunEnvironment(observer=observer, store_client=store_client,
                          secrets=store_client, load_workflow=store_client.load_workflow,
                          workflow=job["workflow"], trigger=job["trigger"], run_scope=sigterm_cancels,
                          run_data=run_data, partial=job.get("partial"),
                          validated=job["kind"] == "run")  # "run" jobs come from the API, which validated them


def wait_for_prefect(timeout_s: float = PREFECT_WAIT_S) -> None:
    """Block until the Prefect server answers (at once when it is up); after `timeout_s`
    the run goes ahead and fails with Prefect's own error."""
    import time

    import httpx

    from engine.client.tls import shared_ssl_context

    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return  # an ephemeral Prefect server: nothing to wait for
    deadline = time.monotonic() + timeout_s
    warned = False
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url.rstrip('/')}/health", timeout=2.0, verify=shared_ssl_context()).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not warned:
            log.warning("the Prefect server at %s does not answer; waiting up to %.0f s", url, timeout_s)
            warned = True
        time.sleep(0.25)


def records_beside_the_run(job: dict[str, Any]) -> bool:
    """Whether this job runs its nodes on threads, its Prefect record written by the API
    (see the module docstring)."""
    return job["kind"] == "run" and job.get("prefect_record") == "api"


def run_direct_job(job: dict[str, Any], api_url: str, report_fd: int | None = None) -> int:
    from engine.execution.direct_run import run_direct
    from engine.execution.executor import WorkflowRunFailed, set_environment
    from engine.model.statuses import RunStatus

    set_environment(_environment(api_url, job, report_fd=report_fd))
    try:
        status = run_direct(job["workflow"]["id"], job["run_id"])
    except WorkflowRunFailed:  # reported to the API already
        return 1
    return 0 if status == RunStatus.COMPLETED else 1


def run_job(job: dict[str, Any], api_url: str, report_fd: int | None = None) -> int:
    """Run one job; `report_fd`: the run host's pipe for its reports (else HTTP)."""
    from prefect.flow_engine import run_flow

    from engine.execution.executor import run_graph, set_environment

    if records_beside_the_run(job):
        return run_direct_job(job, api_url, report_fd)
    wait_for_prefect()
    set_environment(_environment(api_url, job, report_fd=report_fd))
    if job["kind"] == "run":
        # Only ids as flow-run parameters (see RunEnvironment.workflow): Prefect stores them.
        state = run_graph(job["workflow"]["id"], run_id=job["run_id"], return_state=True)
    elif job["kind"] == "flow_run":
        from prefect.flow_engine import load_flow_run

        flow_run = load_flow_run(job["flow_run_id"])
        workflow_id = job["workflow"]["id"]
        if flow_run.parameters != {"workflow_id": workflow_id}:
            # Deployments take only the workflow id; anything else was added by someone else.
            raise RefusedJob(f"scheduled flow run {job['flow_run_id']} of \"{workflow_id}\" has parameters "
                             f"{sorted(flow_run.parameters)}; only workflow_id is accepted")
        parameters = {"workflow_id": workflow_id, "run_id": job["run_id"]}
        # Prefect's overloads of run_flow do not cover a sync flow with return_type="state".
        state = cast("State[Any]", run_flow(cast(Any, run_graph), flow_run=flow_run, parameters=parameters,
                                            return_type="state"))
    else:
        raise ValueError(f"unknown job kind {job['kind']!r}")
    send_prefects_queued_events()
    return 0 if state.is_completed() else 1


def send_prefects_queued_events(timeout_s: float = PREFECT_DRAIN_S) -> None:
    """Wait (up to `timeout_s`) until Prefect's events client has sent what it queued — the
    task runs' state events of a run through Prefect's flow engine. A forked run ends with
    `os._exit`, which skips the atexit hook where Prefect drains it: under load the last
    events were lost and task runs stayed Pending in Prefect."""
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=timeout_s)


def main() -> int:
    configure_prefect_env()
    no_ca_bundle_for_plain_http()
    api_url = os.environ[API_URL_ENV]
    warm_up()
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the launcher is shutting down and closed our stdin
    return run_in_this_process(orjson.loads(line), api_url)


def _prefect_auth_of(job: dict[str, Any]) -> contextlib.AbstractContextManager[Any]:
    """On a remote worker (engine/cli/remote_worker.py) a run reaches Prefect through the
    API's proxy, authenticated by the Prefect token of its own job (valid until this
    process ends): the worker's credential is not in this process, so user code cannot
    claim other runs with it."""
    from engine.config.work_pool import RUN_TOKEN_FOR_PREFECT_ENV

    if os.environ.get(RUN_TOKEN_FOR_PREFECT_ENV) != "1":
        return contextlib.nullcontext()
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_AUTH_STRING, temporary_settings

    # Both: the settings context of this thread (the warm-up entered one without it) and
    # Prefect's global settings, which its service threads (the events client that records
    # task runs) read outside that context. This process runs this one job only.
    os.environ["PREFECT_API_AUTH_STRING"] = job["prefect_token"]
    refresh_global_settings_context()
    return temporary_settings(updates={PREFECT_API_AUTH_STRING: job["prefect_token"]})


def run_in_this_process(job: dict[str, Any], api_url: str, report_fd: int | None = None) -> int:
    """Run one job in this (warm) process, which then owns every process the run starts;
    the exit code for the process. Used by a spawned worker and by each child of the run
    host (engine/execution/run_host.py), which reports through `report_fd`."""
    process_tree.become_subreaper()  # after the warm-up: only the run's own processes are adopted
    try:
        with _prefect_auth_of(job):
            return run_job(job, api_url, report_fd)
    finally:
        process_tree.kill_tree(os.getpid(), include_root=False)  # the run owns what it started
        from engine.execution.record_spool import RunScratch

        if job.get("run_id"):
            RunScratch(str(job["run_id"])).remove()  # what it spilled and did not drop (a failed branch)


if __name__ == "__main__":
    sys.exit(main())
