"""Wire shapes of the workflow routes: the document a client writes (the engine's own
`Workflow` model, so validation and API docs never drift apart), the document and its
problems as the API answers, history, schedule and webhook.

A request body that does not fit the document model is answered `invalid_workflow`
with the node and field named (see `routes/workflow_body.py`), as a file that does not
parse is; `workflow_path` says where in a body the document sits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from engine.model.statuses import RunStatus
from engine.model.workflow import (
    NAME_PATTERN, EdgeSpec, NodeSpec, Note, Position, Schedule, Workflow,
)
from engine.server.schemas.common import IsoTime, ResponseModel, Timestamp, omitted_when_none

_ANSWERED = ConfigDict(json_schema_serialization_defaults_required=True)


# -- what a client writes ------------------------------------------------------------
class WorkflowWrite(Workflow):
    """A workflow document to create, import or validate (see flows/*.json)."""

    workflow_path: ClassVar[tuple[str, ...]] = ()

    problems: Any = Field(None, description="read-only (what GET adds): ignored here, so GET → edit → PUT works")

    def to_workflow(self, **overrides: Any) -> Workflow:
        return Workflow.model_validate({**self.model_dump(exclude={"problems"}), **overrides})


class WorkflowSave(WorkflowWrite):
    """A new version of a saved workflow, based on the version the client loaded."""

    id: str | None = Field(None, pattern=NAME_PATTERN, description="must match the URL; taken from it when left out")
    version: int = Field(ge=1, description="the version this save is based on; a save based on an older "
                                          "version is refused (409 version_conflict)")


# -- what the API answers ------------------------------------------------------------
class PositionResponse(Position):
    model_config = _ANSWERED


class NodeSpecResponse(NodeSpec):
    model_config = _ANSWERED

    position: PositionResponse


class EdgeSpecResponse(EdgeSpec):
    model_config = _ANSWERED


class ScheduleResponse(Schedule):
    model_config = _ANSWERED


class NoteResponse(Note):
    model_config = _ANSWERED

    position: PositionResponse


class WorkflowDocument(Workflow):
    """A workflow document as saved (one version of it)."""

    model_config = _ANSWERED

    nodes: list[NodeSpecResponse]
    edges: list[EdgeSpecResponse]
    schedule: ScheduleResponse
    notes: list[NoteResponse]


class ProblemResponse(ResponseModel):
    """One reason a workflow cannot run, with the node, edge, field and code line it is about."""

    code: str = Field(description="machine-readable kind: cycle, unknown_type, invalid_config, syntax_error, …")
    message: str
    node: str | None = omitted_when_none()
    edge: str | None = omitted_when_none()
    field: str | None = omitted_when_none()
    line: int | None = omitted_when_none()


class WorkflowResponse(WorkflowDocument):
    """The saved document and every problem that keeps it from running (empty: it can run)."""

    problems: list[ProblemResponse]


class LastRunResponse(ResponseModel):
    id: str
    status: RunStatus
    started_at: Timestamp


class WorkflowSummaryResponse(ResponseModel):
    """A workflow in the list: its header and its latest run."""

    id: str
    name: str
    version: int
    description: str
    updated_at: Timestamp
    schedule: ScheduleResponse
    last_run: LastRunResponse | None


class VersionErrorResponse(ProblemResponse):
    """A problem of a saved version (the node it is about as `node_id` too)."""

    node_id: str | None = Field(None, description="the node the problem is about (null: the workflow)")


class VersionResponse(ResponseModel):
    version: int
    saved_at: Timestamp
    valid: bool = Field(True, description="whether this version could run now (an invalid one is not scheduled)")
    errors: list[VersionErrorResponse] = Field(default_factory=list, description="why not")


class ValidationResponse(ResponseModel):
    valid: bool
    problems: list[ProblemResponse]


class ScheduleInfoResponse(ScheduleResponse):
    """The schedule, its next five fire times and the Prefect deployment that runs it."""

    next_runs: list[IsoTime]
    deployment_id: str | None = Field(description="the Prefect deployment, while the schedule is synced")


class NextRunsResponse(ResponseModel):
    next_runs: list[IsoTime]


class WebhookResponse(ResponseModel):
    url: str = Field(description="POST any JSON here to start a run with it as the trigger payload")
    token: str
