"""A flow-run worker process: started *warm* by the API's launcher, runs one run, exits.

Starting Python, importing Prefect and the node types costs seconds; a worker pays it
before any run is asked for and then blocks on stdin. A run request is one JSON line;
the run starts within a fraction of a second. One process per run keeps user code out
of the API process, lets a run be cancelled or time out by killing its process, and
returns all memory to the system when it ends.

Job lines (each carries the run's own token: it reaches only the secrets, stores and
projects that run's workflow names, and dies with the run):
  {"kind": "run", "run_id", "token", "workflow": {...}, "trigger": {...}}                 run now / webhook
  {"kind": "flow_run", "run_id", "token", "flow_run_id", "workflow": {...}, "trigger"}    a scheduled run

The worker's environment holds no credential of the server: a warm spare waits before
anyone knows which run it will execute.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import orjson

from engine.config.prefect_env import configure_prefect_env

API_URL_ENV = "WIREWORK_API_URL"


class RefusedJob(RuntimeError):
    """A job this worker will not run (e.g. a scheduled flow run whose parameters were altered)."""


def _warm_up() -> None:
    import prefect.flow_engine  # noqa: F401  (the expensive imports, before any job)

    from nodes import default_registry

    from engine.execution import executor

    default_registry()
    # Everything imported so far lives as long as the process: move it out of the
    # garbage collector's sight, so collections triggered by a run's many new records
    # do not re-scan Prefect's and pydantic's object graph (bench/engine.py: ~2x).
    gc.freeze()


def _environment(api_url: str, job: dict[str, Any]):
    from engine.execution.executor import RunEnvironment
    from engine.client.reporting import HttpRunObserver
    from engine.client.store_client import HttpStoreClient

    store_client = HttpStoreClient(api_url, job["token"])
    return RunEnvironment(observer=HttpRunObserver(api_url, job["token"]), store_client=store_client,
                          secrets=store_client, load_workflow=store_client.load_workflow,
                          workflow=job["workflow"], trigger=job["trigger"])


def run_job(job: dict[str, Any], api_url: str) -> int:
    from prefect.flow_engine import run_flow

    from engine.execution.executor import run_graph, set_environment

    set_environment(_environment(api_url, job))
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
        state = run_flow(run_graph, flow_run=flow_run, parameters=parameters, return_type="state")
    else:
        raise ValueError(f"unknown job kind {job['kind']!r}")
    return 0 if state.is_completed() else 1


def main() -> int:
    configure_prefect_env()
    api_url = os.environ[API_URL_ENV]
    _warm_up()
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the launcher is shutting down and closed our stdin
    return run_job(orjson.loads(line), api_url)


if __name__ == "__main__":
    sys.exit(main())
