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
_NODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class RunCreate(RequestModel):
    """What to run. All optional: `{}` runs the whole saved workflow. A partial run gives
    `start_at` (that node and everything downstream of it execute) or `only` (that node
    alone), with `reuse_from`: the run whose outputs the nodes feeding them take instead of
    running (status `reused`). Nodes of neither kind are `not_run`. A partial run without
    a payload gets the reused run's payload."""

    payload: Any = Field(None, description="any JSON: the source nodes get it in the trigger record")
    start_at: str | None = Field(None, pattern=_NODE, description="partial run: execute this node and every node "
                                                                  "downstream of it")
    only: str | None = Field(None, pattern=_NODE, description="partial run: execute this node alone")
    reuse_from: str | None = Field(None, min_length=1, max_length=128,
                                   description="partial run: the earlier run of this workflow whose outputs the "
                                               "nodes upstream take (422 when it lacks one, e.g. pruned)")


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
    reuse_from: str | None = Field(None, description="a partial run: the run whose outputs it reused")
    start_at: str | None = Field(None, description="a partial run: the node it started at")
    only: str | None = Field(None, description="a partial run: the one node it executed")
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
    """A page of every record a node took in or put out in a run (the run's data, kept by
    the server's retention). A node that did not run, or whose data was pruned: total 0."""

    records: list[Record] = Field(description="the records from `offset`, at most `limit`")
    total: int = Field(description="how many records there are")
    offset: int = Field(0, description="the offset of the first record of this page")
    kept: int = Field(description="how many of them the run kept (= total; runs older than run data kept only "
                                  "a 20-record sample)")


class RunDataResponse(ResponseModel):
    """The size of every run's data folder (`run-data/` in the data folder)."""

    total_bytes: int
    runs: int = Field(description="how many runs have data")


class NodeLogsResponse(ResponseModel):
    logs: str
    error: NodeErrorResponse | None
