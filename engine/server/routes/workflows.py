"""Workflow routes: CRUD with optimistic versions, history/restore, validate, import/export."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Response

from engine.model.workflow import Workflow
from engine.model.validation import next_run_times, schedule_problems
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.routes.workflow_body import WorkflowBodyRoute
from engine.server.schemas.common import MAX_COUNT
from engine.server.schemas.errors import COMMON_ERRORS, error_responses
from engine.server.services.labeling_checks import server_problems
from engine.server.services.reference_checks import World
from engine.model.validation import WorkflowInvalid
from engine.server.schemas.workflows import (
    NextRunsResponse, ScheduleInfoResponse, ValidationResponse, VersionResponse, WebhookResponse, WorkflowDocument,
    WorkflowResponse, WorkflowSave, WorkflowSummaryResponse, WorkflowWrite,
)

router = APIRouter(prefix="/api", tags=["workflows"], route_class=WorkflowBodyRoute,
                   responses={**COMMON_ERRORS, **error_responses(404)})


class ScheduleRefused(WorkflowInvalid):
    def __init__(self, workflow: Workflow, problems: list) -> None:
        super().__init__(workflow.id, problems)
        lines = "\n".join(f"  - {p}" for p in problems)
        self.args = (f'workflow "{workflow.id}" version {workflow.version} is not valid, so its schedule does not '
                     f"run:\n{lines}",)

    def __str__(self) -> str:
        return str(self.args[0])


def _with_problems(ctx: ServerContext, workflow: Workflow) -> WorkflowResponse:
    problems = server_problems(workflow, ctx.labeling, ctx.stores)
    return WorkflowResponse.model_validate({**workflow.model_dump(), "problems": [p.to_dict() for p in problems]})


def _sync_schedule(ctx: ServerContext, workflow_id: str) -> None:
    if ctx.schedules is not None:
        ctx.schedules.request_sync(workflow_id)


@router.get("/workflows")
def list_workflows(ctx: ServerContext = Depends(get_context)) -> list[WorkflowSummaryResponse]:
    return ctx.repo.summaries()


@router.post("/workflows", status_code=201, responses=error_responses(409))
def create_workflow(doc: WorkflowWrite, ctx: ServerContext = Depends(get_context)) -> WorkflowResponse:
    workflow = ctx.repo.create(doc.to_workflow())
    _sync_schedule(ctx, workflow.id)
    return _with_problems(ctx, workflow)


@router.post("/workflows/import", status_code=201)
def import_workflow(doc: WorkflowWrite, ctx: ServerContext = Depends(get_context)) -> WorkflowResponse:
    """Create the document under its id, or the next free `id-2`, `id-3`…"""
    workflow = doc.to_workflow()
    workflow = ctx.repo.create(workflow.model_copy(update={"id": ctx.repo.free_id(workflow.id)}))
    _sync_schedule(ctx, workflow.id)
    return _with_problems(ctx, workflow)


@router.get("/workflows/{workflow_id}")
def get_workflow(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> WorkflowResponse:
    return _with_problems(ctx, ctx.repo.get(workflow_id))


@router.put("/workflows/{workflow_id}", responses=error_responses(409))
def save_workflow(workflow_id: str, doc: WorkflowSave, ctx: ServerContext = Depends(get_context)) -> WorkflowResponse:
    if doc.id is not None and doc.id != workflow_id:
        raise ApiError(422, "invalid_workflow", f'the document\'s id "{doc.id}" does not match the URL "{workflow_id}"')
    workflow = ctx.repo.save(doc.to_workflow(id=workflow_id))
    _sync_schedule(ctx, workflow.id)
    return _with_problems(ctx, workflow)


@router.delete("/workflows/{workflow_id}", status_code=204)
def delete_workflow(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> Response:
    ctx.repo.delete(workflow_id)
    _sync_schedule(ctx, workflow_id)
    return Response(status_code=204)


@router.get("/workflows/{workflow_id}/versions")
def list_versions(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> list[VersionResponse]:
    """Every saved version, newest first, each with `valid` and its `errors` as of now (a
    store it names may have been deleted since): an invalid version is not scheduled, and
    a webhook or a Run of it is refused."""
    world = World(ctx.stores, ctx.labeling)
    answer = []
    for entry in ctx.repo.versions(workflow_id):
        problems = server_problems(ctx.repo.get_version(workflow_id, entry["version"]), ctx.labeling, world=world)
        answer.append({**entry, "valid": not problems, "errors": [_version_error(p) for p in problems]})
    return answer


def _version_error(problem) -> dict:
    return {"node_id": problem.node, **problem.to_dict()}


@router.get("/workflows/{workflow_id}/versions/{version}")
def get_version(workflow_id: str, version: int = Path(ge=0, le=MAX_COUNT),
                ctx: ServerContext = Depends(get_context)) -> WorkflowDocument:
    return ctx.repo.get_version(workflow_id, version).model_dump()


@router.post("/workflows/{workflow_id}/versions/{version}/restore")
def restore_version(workflow_id: str, version: int = Path(ge=0, le=MAX_COUNT),
                    ctx: ServerContext = Depends(get_context)) -> WorkflowResponse:
    workflow = ctx.repo.restore(workflow_id, version)
    _sync_schedule(ctx, workflow.id)
    return _with_problems(ctx, workflow)


@router.get("/workflows/{workflow_id}/export", response_model=WorkflowDocument,
            responses={200: {"description": "The document as a file download (`<id>.json`)"}})
def export_workflow(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> Response:
    workflow = ctx.repo.get(workflow_id)
    return Response(workflow.to_json(), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{workflow.id}.json"'})


@router.post("/validate")
def validate_document(doc: WorkflowWrite, ctx: ServerContext = Depends(get_context)) -> ValidationResponse:
    problems = server_problems(doc.to_workflow(), ctx.labeling, ctx.stores)
    return ValidationResponse(valid=not problems, problems=[p.to_dict() for p in problems])


@router.get("/workflows/{workflow_id}/schedule", responses=error_responses(422))
def get_schedule(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> ScheduleInfoResponse:
    """The schedule and its next fire times. A workflow whose schedule is on but whose
    current version is invalid is not scheduled: answered 422 `workflow_invalid`, naming
    every problem."""
    workflow = ctx.repo.get(workflow_id)
    schedule = workflow.schedule
    if schedule.enabled:
        problems = server_problems(workflow, ctx.labeling, ctx.stores)
        if problems:
            raise ScheduleRefused(workflow, problems)
    next_runs = []
    if schedule.cron and not schedule_problems(workflow):
        next_runs = [t.isoformat() for t in next_run_times(schedule.cron, schedule.timezone, 5)]
    deployment = ctx.schedules.deployment_id(workflow_id) if ctx.schedules is not None else None
    return ScheduleInfoResponse(**schedule.model_dump(), next_runs=next_runs, deployment_id=deployment)


@router.get("/cron/next", responses=error_responses(422))
def cron_next(cron: str = Query(..., max_length=200), timezone: str = Query("UTC", max_length=100),
              count: int = Query(5, ge=1, le=50)) -> NextRunsResponse:
    from engine.model.workflow import Schedule

    probe = Workflow(id="cron-check", schedule=Schedule(cron=cron, timezone=timezone))
    problems = schedule_problems(probe)
    if problems:
        raise ApiError(422, "invalid_cron", "; ".join(p.message for p in problems))
    return NextRunsResponse(next_runs=[t.isoformat() for t in next_run_times(cron, timezone, count)])


@router.get("/workflows/{workflow_id}/webhook")
def get_webhook(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> WebhookResponse:
    token = ctx.repo.webhook_token(workflow_id)
    return WebhookResponse(url=f"{ctx.settings.api_url}/hooks/{workflow_id}/{token}", token=token)
