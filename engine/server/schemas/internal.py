"""Wire shapes of the routes for run processes (hidden from OpenAPI: only workers call
them, with their run's token). A run event's `data` is the event's own record
(`engine.model.runs`: RunInfo, NodeResult as dicts, …), read with orjson on the route."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Strict

from engine.server.schemas.common import RequestModel, ResponseModel, json_body

RunEventName = Literal["run_started", "node_started", "node_finished", "run_finished"]


class RunEvent(RequestModel):
    event: RunEventName
    data: dict[str, Any] = Field(description="the event's record; `run_id` must match the URL")


RUN_EVENT_BODY = json_body(RunEvent.model_json_schema(), "One event of the run, as its worker saw it")


class CursorSet(RequestModel):
    seq: Annotated[int, Strict()] = Field(description="the store seq the node has read up to")


class CursorResponse(ResponseModel):
    seq: int


class SecretValueResponse(ResponseModel):
    value: str
