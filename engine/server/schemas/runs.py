"""Wire shapes of the run routes: starting a run, a run and its nodes as the history
keeps them, a node's output sample and logs. Statuses are `RunStatus` / `NodeStatus`."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import BeforeValidator, Field

from engine.model.statuses import NodeStatus, RunStatus
from engine.model.workflow import Workflow
from engine.server.schemas.common import IsoTime, Record, RequestModel, ResponseModel, Timestamp
from engine.server.schemas.workers import RunWorkerResponse

TriggerKind = Literal["manual", "schedule", "webhook"]


def _plain_id(value: Any) -> Any:
    """Record ids are strings by convention, but user code may hand anything over."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    return orjson.dumps(value, default=str).decode()


RecordId = Annotated[str | int | float | None, BeforeValidator(_plain_id)]


# -- what a client writes ------------------------------------------------------------
class RunCreate(RequestModel):
    payload: Any = Field(None, description="any JSON: the source nodes get it in the trigger record")


class RunDocumentCreate(RequestModel):
    """A workflow document to run as given, without saving it (`wirework run FILE`)."""

    workflow_path: ClassVar[tuple[str, ...]] = ("workflow",)

    workflow: Workflow
    payload: Any = Field(None, description="any JSON: the source nodes get it in the trigger record")


# -- what the API answers ------------------------------------------------------------
class RunStartedResponse(ResponseModel):
    run_id: str


class RunTriggerResponse(ResponseModel):
    """The trigger record: what started the run, with its payload; source nodes read it."""

    id: str
    trigger: TriggerKind
    payload: Any = Field(description="the JSON the run was started with (null: none)")
    time: IsoTime


class NodeErrorResponse(ResponseModel):
    """Why a node failed: the exception, the record it was working on and the user's code line."""

    type: str
    message: str
    node: str | None = None
    record_id: RecordId = None
    line: int | None = None
    source_line: str | None = None


class RunResponse(ResponseModel):
    id: str
    workflow_id: str
    workflow_version: int
    trigger: RunTriggerResponse | str | None = Field(
        description="the trigger record; runs recorded by older versions hold only its kind")
    status: RunStatus
    started_at: Timestamp
    ended_at: Timestamp | None
    error: str | None
    prefect_flow_run_id: str | None
    retry_of: str | None = Field(None, description="the crashed run this run starts again (the workflow's "
                                                   "retry_crashed); null: not a retry")
    attempt: int = Field(1, description="1 for a run as triggered, 2 for its first retry, ...")
    worker: RunWorkerResponse | None = Field(None, description="the `wirework worker` that ran it "
                                                               "(null: the server ran it itself)")


class NodeRunResponse(ResponseModel):
    run_id: str
    node_id: str
    status: NodeStatus
    attempts: int
    started_at: Timestamp | None
    ended_at: Timestamp | None
    duration_s: float | None
    records_in: int
    records_out: int
    error: NodeErrorResponse | None


class RunDetailResponse(RunResponse):
    """A run with each node's status, counts and error (output and logs: their own routes)."""

    nodes: list[NodeRunResponse]


class CancelResponse(ResponseModel):
    run_id: str
    status: RunStatus


class NodeOutputResponse(ResponseModel):
    records: list[Record] = Field(description="a page of the records the run kept of the node's output")
    total: int = Field(description="how many records the node put out")
    kept: int = Field(description="how many of them the run kept")


class NodeLogsResponse(ResponseModel):
    logs: str
    error: NodeErrorResponse | None
