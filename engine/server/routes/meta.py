"""Health and the node type catalogue (JSON Schemas the editor builds its forms from).

`/api/health` needs no token (the harness and `wirework up`'s callers poll it) and stays
cheap: it reports what the supervisors and the launcher already know, never a new
request to Prefect or the embedding service."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request

from nodes import default_registry

from engine.server.schemas.errors import COMMON_ERRORS
from engine.server.schemas.meta import ComponentHealth, HealthResponse, NodeTypeResponse

router = APIRouter(prefix="/api", tags=["meta"], responses=COMMON_ERRORS)


@router.get("/health")
def health(request: Request) -> HealthResponse:
    ctx = getattr(request.app.state, "wirework", None)  # None while the app starts
    components = {"api": ComponentHealth(status="ok", pid=os.getpid())}
    if ctx is not None:
        components["prefect"] = _prefect_health(ctx)
        components["run_launcher"] = _launcher_health(ctx)
        components["embedding_service"] = _embedding_health(ctx)
        components["prefect_record"] = _prefect_record_health(ctx)
    ok = all(c.status != "down" for c in components.values())
    return HealthResponse(status="ok" if ok else "degraded", components=components)


def _prefect_health(ctx) -> ComponentHealth:
    supervisor = ctx.settings.prefect_supervisor
    if supervisor is None:
        return ComponentHealth(status="external" if ctx.settings.prefect_api_url else "off")
    state = supervisor.health()
    return ComponentHealth(status="ok" if state["ok"] else "down", pid=state["pid"], restarts=state["restarts"],
                           detail={"port": supervisor.port, "last_exit": state["last_exit"]})


def _launcher_health(ctx) -> ComponentHealth:
    launcher = ctx.runs.launcher
    if launcher is None:
        return ComponentHealth(status="off")
    state = launcher.health()
    state["reports"] = ctx.runs.report_counts()  # how runs reported: http or the run host's pipe
    return ComponentHealth(status="ok" if state.pop("ok") else "down", detail=state)


def _embedding_health(ctx) -> ComponentHealth:
    service = ctx.embeddings
    if service is None:
        return ComponentHealth(status="off")
    return ComponentHealth(status="ok" if service.alive() else "down", pid=service.pid, restarts=service.restarts)


def _prefect_record_health(ctx) -> ComponentHealth:
    """The API's writer of Prefect's record of runs (services/prefect_writer.py): runs not
    yet written, requests made to Prefect, the last refusal (cleared by the next write)."""
    writer = ctx.runs.prefect_writer
    if writer is None:
        return ComponentHealth(status="off")
    state = writer.health()
    return ComponentHealth(status="ok", detail=state)  # Prefect's own health is the "prefect" component


@router.get("/node-types")
def node_types() -> list[NodeTypeResponse]:
    return [node_type.describe() for node_type in default_registry().types()]
