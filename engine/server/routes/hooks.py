"""Webhook triggers: `POST /hooks/{workflow_id}/{token}` starts a run with the JSON body."""

from __future__ import annotations

import hmac

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from engine.model.validation import WorkflowInvalid
from engine.server.db.workflows import WorkflowNotFound
from engine.server.services.labeling_checks import server_problems
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.schemas.errors import error_responses
from engine.server.schemas.hooks import WEBHOOK_BODY, RunStartedResponse

router = APIRouter(tags=["hooks"], responses=error_responses(404, 413, 422, 500))


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes")
    return bytes(body)


@router.post("/hooks/{workflow_id}/{token}", status_code=202, openapi_extra=WEBHOOK_BODY)
async def webhook(workflow_id: str, token: str, request: Request,
                  ctx: ServerContext = Depends(get_context)) -> RunStartedResponse:
    # The app database calls run on a worker thread, not on the event loop: during a burst
    # the launcher's thread holds the database while it applies the runs' reports, and a
    # webhook waiting for it on the loop held up every other request.
    expected = await run_in_threadpool(_webhook_token, ctx, workflow_id)
    # Same answer for an unknown workflow and a wrong token: ids cannot be probed.
    if expected is None or not hmac.compare_digest(expected.encode(), token.encode()):
        raise ApiError(404, "not_found", "no such webhook")
    body = await _read_limited(request, ctx.settings.webhook_max_bytes)
    try:
        payload = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid_request", "the webhook body must be JSON") from None
    return RunStartedResponse(run_id=await run_in_threadpool(_start_run, ctx, workflow_id, payload))


def _webhook_token(ctx: ServerContext, workflow_id: str) -> str | None:
    try:
        return ctx.repo.webhook_token(workflow_id)
    except WorkflowNotFound:
        return None


def _start_run(ctx: ServerContext, workflow_id: str, payload: object) -> str:
    workflow = ctx.repo.get(workflow_id)
    problems = server_problems(workflow, ctx.labeling, ctx.stores)
    if problems:  # an invalid saved version never runs (issue 16), also what only the server sees
        raise WorkflowInvalid(workflow.id, problems)
    return ctx.runs.start(workflow, "webhook", payload)
