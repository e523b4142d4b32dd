"""Wire shapes of health and the node type catalogue."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.server.schemas.common import ResponseModel


class ComponentHealth(ResponseModel):
    """One part of the server, as the server last saw it (no new check per request)."""

    status: Literal["ok", "down", "external", "off"] = Field(
        description="ok; down (being restarted, or failed); external (a Prefect server wirework does not "
                    "supervise, not checked here); off (not started by this server)")
    pid: int | None = None
    restarts: int = Field(default=0, description="how often the server restarted it since it started")
    detail: dict[str, Any] = Field(default_factory=dict, description="component-specific figures")


class HealthResponse(ResponseModel):
    status: Literal["ok", "degraded"] = Field(
        description="ok when every component is ok, external or off; the API answers 200 either way")
    components: dict[str, ComponentHealth] = Field(
        default_factory=dict, description="api, prefect, run_launcher, embedding_service")


class NodeTypeResponse(ResponseModel):
    """A node type: where it sits in a flow and the JSON Schema of its config (the editor's form)."""

    type: str
    category: Literal["source", "transform", "sink"]
    inputs: Literal["records", "order", "none"] = Field(
        description="what its input wire carries: records, run order only, or nothing")
    title: str
    description: str
    config_schema: dict[str, Any] = Field(description="JSON Schema of the node's config (from its pydantic Config)")
