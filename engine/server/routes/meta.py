"""Health and the node type catalogue (JSON Schemas the editor builds its forms from)."""

from __future__ import annotations

from fastapi import APIRouter

from nodes import default_registry

router = APIRouter(prefix="/api", tags=["meta"])


@router.get("/health")
def health() -> dict:
    return {"status": "ok"}


@router.get("/node-types")
def node_types() -> list[dict]:
    return [node_type.describe() for node_type in default_registry().types()]
