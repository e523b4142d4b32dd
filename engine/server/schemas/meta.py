"""Wire shapes of health and the node type catalogue."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.server.schemas.common import ResponseModel


class HealthResponse(ResponseModel):
    status: Literal["ok"]


class NodeTypeResponse(ResponseModel):
    """A node type: where it sits in a flow and the JSON Schema of its config (the editor's form)."""

    type: str
    category: Literal["source", "transform", "sink"]
    inputs: Literal["records", "order", "none"] = Field(
        description="what its input wire carries: records, run order only, or nothing")
    title: str
    description: str
    config_schema: dict[str, Any] = Field(description="JSON Schema of the node's config (from its pydantic Config)")
