"""Health and the node type catalogue (JSON Schemas the editor builds its forms from)."""

from __future__ import annotations

from fastapi import APIRouter

from nodes import default_registry

from engine.server.schemas.errors import COMMON_ERRORS
from engine.server.schemas.meta import HealthResponse, NodeTypeResponse

router = APIRouter(prefix="/api", tags=["meta"], responses=COMMON_ERRORS)


@router.get("/health")
def health() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get("/node-types")
def node_types() -> list[NodeTypeResponse]:
    return [node_type.describe() for node_type in default_registry().types()]
