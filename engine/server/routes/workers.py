"""Routes for remote `wirework worker` processes (their worker credential only, see
engine/server/worker_credential.py): claim a run taken from the Prefect work pool,
heartbeat, report a run process's end. The work itself is services/work_pool_runs.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from engine.model.statuses import RunStatus
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.schemas.errors import COMMON_ERRORS, error_responses
from engine.server.schemas.workers import (
    ClaimRequest, ClaimResponse, HeartbeatRequest, HeartbeatResponse, RunExitRequest, WorkerIdentity,
)
from engine.server.security import principal_of
from engine.server.services.work_pool_runs import WorkerId, WorkPoolRuns

router = APIRouter(prefix="/api/workers", tags=["workers"], include_in_schema=False,
                   responses={**COMMON_ERRORS, **error_responses(404, 409)})


def _pool(request: Request) -> WorkPoolRuns:
    if principal_of(request).kind != "worker":
        raise ApiError(403, "forbidden", "this route is for `wirework worker` processes (with the worker token)")
    pool = getattr(request.app.state, "work_pool", None)
    if pool is None:
        raise ApiError(409, "conflict", "this server runs its runs itself: start it with WIREWORK_LOCAL_WORKERS=0 "
                                        "for workers to take them")
    return pool


def _worker(identity: WorkerIdentity) -> WorkerId:
    return WorkerId(identity.name, identity.host, identity.pid)


@router.post("/claim")
def claim(body: ClaimRequest, pool: WorkPoolRuns = Depends(_pool)) -> ClaimResponse:
    job = pool.claim(body.flow_run_id, _worker(body.worker))
    if job is None:
        raise ApiError(409, "conflict", f"flow run {body.flow_run_id} is no run waiting for a worker on this server "
                                        "(claimed already, cancelled, or not ours)")
    return ClaimResponse(job=job)


@router.post("/heartbeat")
def heartbeat(body: HeartbeatRequest, pool: WorkPoolRuns = Depends(_pool)) -> HeartbeatResponse:
    return HeartbeatResponse(**pool.beat(_worker(body.worker), body.runs))


@router.post("/runs/{run_id}/exit", status_code=204)
def run_exited(run_id: str, body: RunExitRequest, pool: WorkPoolRuns = Depends(_pool),
               ctx: ServerContext = Depends(get_context)) -> Response:
    worker = _worker(body.worker)
    if pool.worker_of(run_id) != worker:
        raise ApiError(404, "not_found", f"run {run_id} is not a run of worker {worker.name!r}")
    if body.memory_limit_mb is not None:  # killed by the worker's watchdog: a failure naming the limit
        ctx.runs.settle(run_id, RunStatus.FAILED,
                        ctx.runs._memory_error(run_id, body.memory_limit_mb) + f" on worker {worker.name!r}")
    pool.exited(run_id, worker, body.returncode)
    return Response(status_code=204)
