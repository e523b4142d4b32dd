"""The Prefect work pool that remote `wirework worker` processes take runs from: its
name, its worker type and base job template, and where the API proxies Prefect.

Shared by the server (which creates the pool and puts a flow run in it per run when
`WIREWORK_LOCAL_WORKERS=0`) and the worker (engine/cli/remote_worker.py), so both agree
on the names without one importing the other's layer.
"""

from __future__ import annotations

from typing import Any

DEFAULT_POOL = "wirework"
WORKER_TYPE = "wirework"  # the pool's type: only `wirework worker` processes take its runs
LOCAL_WORKERS_ENV = "WIREWORK_LOCAL_WORKERS"  # 0: the server runs nothing itself
POOL_ENV = "WIREWORK_WORK_POOL"
# The API route under which the server forwards Prefect's API (engine/server/routes/prefect_proxy.py):
# a remote worker sets PREFECT_API_URL to `<api>` + this, and needs no route to Prefect's own port.
PREFECT_PROXY_PREFIX = "/api/prefect"
# Set in a remote worker's run host: each run authenticates to the Prefect proxy with its
# own job's Prefect token (never the worker's credential, which user code must not see).
RUN_TOKEN_FOR_PREFECT_ENV = "WIREWORK_PREFECT_AUTH_IS_RUN_TOKEN"


def local_workers(environ: dict[str, str] | Any) -> bool:
    """`WIREWORK_LOCAL_WORKERS`: unset or 1 runs work on this server; 0 sends it to the pool."""
    raw = str(environ.get(LOCAL_WORKERS_ENV, "1")).strip().lower()
    if raw in ("", "1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    raise ValueError(f"{LOCAL_WORKERS_ENV} must be 0 or 1, not {raw!r}")


def base_job_template() -> dict[str, Any]:
    """What Prefect's BaseWorker.get_default_base_job_template builds for a worker whose job
    configuration is the base one (the wirework worker's): the server creates the pool
    with it, so a pool made before any worker started is the one a worker would make."""
    from prefect.workers.base import BaseJobConfiguration

    schema = BaseJobConfiguration.model_json_schema()
    for value in schema["properties"].values():
        if isinstance(value, dict):
            value.pop("template", None)
    schema.pop("title", None)
    return {"job_configuration": BaseJobConfiguration.json_template(), "variables": schema}
