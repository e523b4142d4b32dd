"""Workflow routes: CRUD with optimistic versions, history/restore, validate, import/export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Response

from engine.model.workflow import NAME_PATTERN, parse_workflow
from engine.model.validation import next_run_times, schedule_problems, validate_workflow
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError

router = APIRouter(prefix="/api", tags=["workflows"])
WorkflowBody = Body(..., description="A workflow document (see flows/*.json)")


def _with_problems(ctx: ServerContext, workflow) -> dict[str, Any]:
    doc = workflow.model_dump(mode="json")
    doc["problems"] = [p.to_dict() for p in validate_workflow(workflow)]
    return doc


READ_ONLY_FIELDS = ("problems",)  # added by GET; a GET → edit → PUT round trip must work


def _writable(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k not in READ_ONLY_FIELDS}
    return doc


def _sync_schedule(ctx: ServerContext, workflow) -> None:
    if ctx.schedules is not None:
        ctx.schedules.request_sync(workflow.id)


@router.get("/workflows")
def list_workflows(ctx: ServerContext = Depends(get_context)) -> list[dict]:
    return ctx.repo.summaries()


@router.post("/workflows", status_code=201)
def create_workflow(doc: dict = WorkflowBody, ctx: ServerContext = Depends(get_context)) -> dict:
    workflow = ctx.repo.create(parse_workflow(_writable(doc)))
    _sync_schedule(ctx, workflow)
    return _with_problems(ctx, workflow)


@router.post("/workflows/import", status_code=201)
def import_workflow(doc: dict = WorkflowBody, ctx: ServerContext = Depends(get_context)) -> dict:
    workflow = parse_workflow(_writable(doc))
    workflow = ctx.repo.create(workflow.model_copy(update={"id": ctx.repo.free_id(workflow.id)}))
    _sync_schedule(ctx, workflow)
    return _with_problems(ctx, workflow)


@router.get("/workflows/{workflow_id}")
def get_workflow(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> dict:
    return _with_problems(ctx, ctx.repo.get(workflow_id))


@router.put("/workflows/{workflow_id}")
def save_workflow(workflow_id: str, doc: dict = WorkflowBody, ctx: ServerContext = Depends(get_context)) -> dict:
    if doc.get("id", workflow_id) != workflow_id:
        raise ApiError(422, "invalid_workflow", f'the document\'s id "{doc.get("id")}" does not match the URL "{workflow_id}"')
    if "version" not in doc:
        raise ApiError(422, "invalid_workflow", "a save must name the version it is based on (field `version`)")
    workflow = ctx.repo.save(parse_workflow({**_writable(doc), "id": workflow_id}))
    _sync_schedule(ctx, workflow)
    return _with_problems(ctx, workflow)


@router.delete("/workflows/{workflow_id}", status_code=204)
def delete_workflow(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> Response:
    ctx.repo.delete(workflow_id)
    if ctx.schedules is not None:
        ctx.schedules.request_sync(workflow_id)
    return Response(status_code=204)


@router.get("/workflows/{workflow_id}/versions")
def list_versions(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> list[dict]:
    return ctx.repo.versions(workflow_id)


@router.get("/workflows/{workflow_id}/versions/{version}")
def get_version(workflow_id: str, version: int, ctx: ServerContext = Depends(get_context)) -> dict:
    return ctx.repo.get_version(workflow_id, version).model_dump(mode="json")


@router.post("/workflows/{workflow_id}/versions/{version}/restore")
def restore_version(workflow_id: str, version: int, ctx: ServerContext = Depends(get_context)) -> dict:
    workflow = ctx.repo.restore(workflow_id, version)
    _sync_schedule(ctx, workflow)
    return _with_problems(ctx, workflow)


@router.get("/workflows/{workflow_id}/export")
def export_workflow(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> Response:
    workflow = ctx.repo.get(workflow_id)
    return Response(workflow.to_json(), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{workflow.id}.json"'})


@router.post("/validate")
def validate_document(doc: dict = WorkflowBody) -> dict:
    problems = validate_workflow(parse_workflow(_writable(doc)))
    return {"valid": not problems, "problems": [p.to_dict() for p in problems]}


@router.get("/workflows/{workflow_id}/schedule")
def get_schedule(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> dict:
    workflow = ctx.repo.get(workflow_id)
    schedule = workflow.schedule
    next_runs = []
    if schedule.cron and not schedule_problems(workflow):
        next_runs = [t.isoformat() for t in next_run_times(schedule.cron, schedule.timezone, 5)]
    deployment = ctx.schedules.deployment_id(workflow_id) if ctx.schedules is not None else None
    return {**schedule.model_dump(), "next_runs": next_runs, "deployment_id": deployment}


@router.get("/cron/next")
def cron_next(cron: str = Query(..., max_length=200), timezone: str = Query("UTC", max_length=100),
              count: int = Query(5, ge=1, le=50)) -> dict:
    from engine.model.workflow import Schedule, Workflow

    probe = Workflow(id="cron-check", schedule=Schedule(cron=cron, timezone=timezone))
    problems = schedule_problems(probe)
    if problems:
        raise ApiError(422, "invalid_cron", "; ".join(p.message for p in problems))
    return {"next_runs": [t.isoformat() for t in next_run_times(cron, timezone, count)]}


@router.get("/workflows/{workflow_id}/webhook")
def get_webhook(workflow_id: str, ctx: ServerContext = Depends(get_context)) -> dict:
    token = ctx.repo.webhook_token(workflow_id)
    return {"url": f"{ctx.settings.api_url}/hooks/{workflow_id}/{token}", "token": token}


_ = NAME_PATTERN  # workflow ids are validated by the model (NAME_PATTERN)
