"""Routes for run processes only (they carry their run's token): run events, saved
workflows, secret values and incremental cursors. The security middleware has already
checked that the token's run may call this route for this secret, store or workflow;
the user's own token is refused here, so a secret's value never leaves through the API
except to a run whose workflow names it."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Body, Depends, Request, Response

from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.security import principal_of


def require_internal(request: Request, ctx: ServerContext = Depends(get_context)) -> ServerContext:
    if principal_of(request).kind != "run":
        raise ApiError(403, "forbidden", "this route is for wirework run processes (with their run's token)")
    return ctx


router = APIRouter(prefix="/api/internal", tags=["internal"], include_in_schema=False)


@router.post("/runs/{run_id}/events", status_code=204)
async def post_event(run_id: str, request: Request, ctx: ServerContext = Depends(require_internal)) -> Response:
    try:
        message = orjson.loads(await request.body())
        event, data = message["event"], message["data"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise ApiError(422, "invalid_request", "expected {event, data}") from None
    try:
        ctx.runs.apply_event(run_id, event, data)
    except (ValueError, TypeError, KeyError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    return Response(status_code=204)


@router.get("/workflows/{workflow_id}")
def saved_workflow(workflow_id: str, ctx: ServerContext = Depends(require_internal)) -> dict:
    return ctx.repo.get(workflow_id).model_dump(mode="json")


@router.get("/secrets/{name}")
def secret_value(name: str, ctx: ServerContext = Depends(require_internal)) -> dict:
    return {"value": ctx.stores.get_secret(name)}


@router.get("/cursors/{workflow_id}/{node_id}/{store}")
def get_cursor(workflow_id: str, node_id: str, store: str, ctx: ServerContext = Depends(require_internal)) -> dict:
    return {"seq": ctx.stores.get_cursor(workflow_id, node_id, store)}


@router.put("/cursors/{workflow_id}/{node_id}/{store}", status_code=204)
def set_cursor(workflow_id: str, node_id: str, store: str, body: dict = Body(...),
               ctx: ServerContext = Depends(require_internal)) -> Response:
    if not isinstance(body.get("seq"), int):
        raise ApiError(422, "invalid_request", "expected {seq: int}")
    ctx.stores.set_cursor(workflow_id, node_id, store, body["seq"])
    return Response(status_code=204)


@router.post("/cursors/{workflow_id}/{node_id}/{store}/advance")
def advance_cursor(workflow_id: str, node_id: str, store: str, body: dict = Body(...),
                   ctx: ServerContext = Depends(require_internal)) -> dict:
    if not isinstance(body.get("seq"), int):
        raise ApiError(422, "invalid_request", "expected {seq: int}")
    return {"seq": ctx.stores.advance_cursor(workflow_id, node_id, store, body["seq"])}
