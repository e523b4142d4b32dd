"""Routes for run processes only (they carry their run's token): run events, saved
workflows, secret values and incremental cursors. (A run forked by the run host sends
its events and small data parts through the host's pipe instead, applied by
RunService.apply_reports with the same checks.) The security middleware has already
checked that the token's run may call this route for this secret, store or workflow;
the user's own token is refused here, so a secret's value never leaves through the API
except to a run whose workflow names it."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from engine.model.run_data_files import PART_NUMBER_RULE, is_part_number
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.schemas.errors import COMMON_ERRORS, error_responses
from engine.server.schemas.internal import RUN_EVENT_BODY, CursorResponse, CursorSet, SecretValueResponse
from engine.server.schemas.workflows import WorkflowDocument
from engine.server.security import principal_of


def require_internal(request: Request, ctx: ServerContext = Depends(get_context)) -> ServerContext:
    if principal_of(request).kind != "run":
        raise ApiError(403, "forbidden", "this route is for wirework run processes (with their run's token)")
    return ctx


router = APIRouter(prefix="/api/internal", tags=["internal"], include_in_schema=False,
                   responses={**COMMON_ERRORS, **error_responses(404)})


@router.post("/runs/{run_id}/events", status_code=204, openapi_extra=RUN_EVENT_BODY)
async def post_event(run_id: str, request: Request, ctx: ServerContext = Depends(require_internal)) -> Response:
    """One event `{event, data}`, or several in order `{"events": [{event, data}, …]}` (how
    run processes send them, engine/client/reporting.py)."""
    # Read with orjson, not a pydantic body: a node_finished event carries the node's sample.
    try:
        message = orjson.loads(await request.body())
        events = message["events"] if "events" in message else [message]
        pairs = [(item["event"], item["data"]) for item in events]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise ApiError(422, "invalid_request", "expected {event, data} or {events: [{event, data}, …]}") from None
    # The database writes off the event loop: other requests go on meanwhile.
    await run_in_threadpool(_apply_all, ctx, run_id, pairs)
    return Response(status_code=204)


def _apply_all(ctx: ServerContext, run_id: str, pairs: list[tuple[Any, Any]]) -> None:
    ctx.runs.count_report("http_event_batches")
    try:
        ctx.runs.apply_events(run_id, pairs)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ApiError(422, "invalid_request", f"a run event was refused (none of its batch was kept): {exc}") from None


@router.put("/runs/{run_id}/nodes/{node_id}/output/{part}", status_code=204)
async def put_run_data(run_id: str, node_id: str, part: int, request: Request,
                       ctx: ServerContext = Depends(require_internal)) -> Response:
    """One Arrow IPC part of a node's output (engine/execution/run_data.py), written to
    `run-data/<run id>/<node id>/` (services/run_data.py)."""
    if not is_part_number(part):
        raise ApiError(422, "invalid_request", PART_NUMBER_RULE)
    data = await request.body()
    ctx.runs.count_report("http_parts")
    await run_in_threadpool(ctx.run_data.store_part, run_id, node_id, part, data)
    return Response(status_code=204)


@router.get("/runs/{run_id}/nodes/{node_id}/output")
def get_run_data(run_id: str, node_id: str, ctx: ServerContext = Depends(require_internal)) -> StreamingResponse:
    """A node's output in this run as JSON lines: what a partial run reuses (linked into its
    folder when it was started)."""
    run = ctx.db.get_run(run_id)
    if run is None:
        raise ApiError(404, "not_found", f'no run "{run_id}"')
    files = ctx.run_data.records(run, {"node_id": node_id, "status": "completed"}, "output")
    if files is None:
        raise ApiError(404, "not_found", f'run {run_id} keeps no output of node "{node_id}"')
    return StreamingResponse(ctx.run_data.jsonl(files), media_type="application/x-ndjson")


@router.get("/workflows/{workflow_id}")
def saved_workflow(workflow_id: str, ctx: ServerContext = Depends(require_internal)) -> WorkflowDocument:
    return ctx.repo.get(workflow_id).model_dump()


@router.get("/secrets/{name}")
def secret_value(name: str, ctx: ServerContext = Depends(require_internal)) -> SecretValueResponse:
    return SecretValueResponse(value=ctx.stores.get_secret(name))


@router.get("/cursors/{workflow_id}/{node_id}/{store}")
def get_cursor(workflow_id: str, node_id: str, store: str, ctx: ServerContext = Depends(require_internal)
               ) -> CursorResponse:
    return CursorResponse(seq=ctx.stores.get_cursor(workflow_id, node_id, store))


@router.put("/cursors/{workflow_id}/{node_id}/{store}", status_code=204)
def set_cursor(workflow_id: str, node_id: str, store: str, body: CursorSet,
               ctx: ServerContext = Depends(require_internal)) -> Response:
    ctx.stores.set_cursor(workflow_id, node_id, store, body.seq)
    return Response(status_code=204)


@router.post("/cursors/{workflow_id}/{node_id}/{store}/advance")
def advance_cursor(workflow_id: str, node_id: str, store: str, body: CursorSet,
                   ctx: ServerContext = Depends(require_internal)) -> CursorResponse:
    return CursorResponse(seq=ctx.stores.advance_cursor(workflow_id, node_id, store, body.seq))
