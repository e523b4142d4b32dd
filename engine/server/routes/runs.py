"""Run routes: start now, list, detail, per-node output and logs, cancel, live events (SSE)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask
from typing import Literal

from engine.model.statuses import RunStatus
from engine.model.validation import WorkflowInvalid
from engine.server.services.runs import ACTIVE_STATUSES, RunNotFound
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.routes.workflow_body import WorkflowBodyRoute
from engine.server.schemas.common import MAX_COUNT
from engine.server.schemas.errors import COMMON_ERRORS, error_responses
from engine.server.services.labeling_checks import server_problems
from engine.server.services.run_data import FORMATS
from engine.server.schemas.runs import (
    CancelResponse, NodeLogsResponse, NodeOutputResponse, RunCreate, RunDataResponse, RunDetailResponse,
    RunDocumentCreate, RunResponse, RunStartedResponse,
)

router = APIRouter(prefix="/api", tags=["runs"], route_class=WorkflowBodyRoute,
                   responses={**COMMON_ERRORS, **error_responses(404)})
SSE_KEEPALIVE_S = 15.0
EVENT_STREAM = {200: {"description": "Server-Sent Events: `run_state` (the run so far, on a run's stream), "
                                     "`run_queued`, `run_started`, `node_started`, `node_finished`, `run_cancelling`, "
                                     "`run_finished`",
                      "content": {"text/event-stream": {"schema": {"type": "string"}}}}}


def _run(ctx: ServerContext, run_id: str) -> dict:
    run = ctx.db.get_run(run_id)
    if run is None:
        raise RunNotFound(run_id)
    return run


def _node(run: dict, node_id: str) -> dict:
    for node in run["nodes"]:
        if node["node_id"] == node_id:
            return node
    raise ApiError(404, "not_found", f'run {run["id"]} has no node "{node_id}"')


@router.post("/workflows/{workflow_id}/runs", status_code=202, responses=error_responses(422))
def start_run(workflow_id: str, body: RunCreate | None = Body(None), ctx: ServerContext = Depends(get_context)
              ) -> RunStartedResponse:
    """Run the saved workflow now (its current version). A workflow with problems — also a
    store, secret, labeling project or task it names that does not exist — is refused 422
    `workflow_invalid`, naming the workflow, each node and what is missing.

    Partial runs: `{"start_at": node, "reuse_from": run}` executes that node and everything
    downstream; `{"only": node, "reuse_from": run}` that node alone. The nodes that feed
    them are not executed: their outputs are taken from run `reuse_from` (status `reused`);
    the rest is `not_run`. An unknown node or run, a run of another workflow, or one that
    lacks a needed output (it failed there, or its data was pruned) is refused 422
    `invalid_partial_run` naming what is missing."""
    workflow = ctx.repo.get(workflow_id)
    _refuse_problems(ctx, workflow)
    body = body or RunCreate.model_validate({})
    if body.start_at is not None or body.only is not None:
        run_id = ctx.runs.start_partial(workflow, start_at=body.start_at, only=body.only, reuse_from=body.reuse_from,
                                        payload=body.payload)
    else:
        run_id = ctx.runs.start(workflow, "manual", body.payload)
    return RunStartedResponse(run_id=run_id)


@router.post("/runs", status_code=202)
def run_document(body: RunDocumentCreate, ctx: ServerContext = Depends(get_context)) -> RunStartedResponse:
    """Run a workflow document as given, without saving it (`wirework run FILE` while a
    server is up; the history keeps the document's id and version)."""
    _refuse_problems(ctx, body.workflow)
    return RunStartedResponse(run_id=ctx.runs.start(body.workflow, "manual", body.payload))


def _refuse_problems(ctx: ServerContext, workflow) -> None:
    """A run the API starts is refused when the workflow has any problem, also those only
    the server can see (labeling_checks.py: stores, secrets, labeling projects and tasks
    that do not exist, a task reading a field no record has); RunService itself checks the
    document alone."""
    problems = server_problems(workflow, ctx.labeling, ctx.stores)
    if problems:
        raise WorkflowInvalid(workflow.id, problems)


@router.get("/runs")
def list_runs(workflow_id: str | None = Query(None, max_length=63), status: RunStatus | None = Query(None),
              limit: int = Query(50, ge=1, le=1000), ctx: ServerContext = Depends(get_context)) -> list[RunResponse]:
    return ctx.db.list_runs(workflow_id=workflow_id, status=status.value if status else None, limit=limit)


@router.get("/runs/{run_id}")
def get_run(run_id: str, ctx: ServerContext = Depends(get_context)) -> RunDetailResponse:
    return _run(ctx, run_id)  # the nodes' samples and logs are left out by the response model


@router.post("/runs/{run_id}/cancel")
def cancel_run(run_id: str, ctx: ServerContext = Depends(get_context)) -> CancelResponse:
    """Answers at once: `cancelling` while the run stops (within about 2 s), `cancelled`
    for a run no worker had taken yet, or the status of a run that had already ended."""
    run = ctx.runs.cancel(run_id)
    return CancelResponse(run_id=run_id, status=run["status"])


@router.get("/runs/{run_id}/nodes/{node_id}/output")
def node_output(run_id: str, node_id: str, offset: int = Query(0, ge=0, le=MAX_COUNT), limit: int = Query(50, ge=1, le=1000),
                ctx: ServerContext = Depends(get_context)) -> NodeOutputResponse:
    """A page of every record the node put out in this run (`offset`, `limit` ≤ 1000)."""
    run = _run(ctx, run_id)
    node = _node(run, node_id)
    if not ctx.run_data.has_output(run_id, node_id) and node["sample"]:
        kept = node["sample"]  # a run from before run data: its 20-record sample
        return NodeOutputResponse(records=kept[offset: offset + limit], total=node["records_out"], offset=offset,
                                  kept=len(kept))
    page = ctx.run_data.page(run, node, "output", offset, limit)
    return NodeOutputResponse(**page, kept=page["total"])


@router.get("/runs/{run_id}/nodes/{node_id}/input")
def node_input(run_id: str, node_id: str, offset: int = Query(0, ge=0, le=MAX_COUNT), limit: int = Query(50, ge=1, le=1000),
               ctx: ServerContext = Depends(get_context)) -> NodeOutputResponse:
    """A page of every record the node received in this run, in the order it received them:
    its upstream nodes' outputs in edge order, or the trigger record for a first node."""
    run = _run(ctx, run_id)
    page = ctx.run_data.page(run, _node(run, node_id), "input", offset, limit)
    return NodeOutputResponse(**page, kept=page["total"])


_DOWNLOAD = {200: {"description": "Every record, as a file `<workflow>-<run>-<node>.<format>` (the input: "
                                  "`…-<node>-input.<format>`); CSV: one column per top-level field, nested "
                                  "values as JSON; Parquet: columns typed over every record",
                   "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in FORMATS.values()}}}


@router.get("/runs/{run_id}/nodes/{node_id}/output/download", response_class=FileResponse, responses=_DOWNLOAD)
def download_output(run_id: str, node_id: str, format: Literal["jsonl", "csv", "parquet"] = Query("jsonl"),
                    ctx: ServerContext = Depends(get_context)):
    return _download(ctx, run_id, node_id, "output", format)


@router.get("/runs/{run_id}/nodes/{node_id}/input/download", response_class=FileResponse, responses=_DOWNLOAD)
def download_input(run_id: str, node_id: str, format: Literal["jsonl", "csv", "parquet"] = Query("jsonl"),
                   ctx: ServerContext = Depends(get_context)):
    return _download(ctx, run_id, node_id, "input", format)


def _download(ctx: ServerContext, run_id: str, node_id: str, side: str, format: str):
    run = _run(ctx, run_id)
    files = ctx.run_data.records(run, _node(run, node_id), side)
    if files is None:
        raise ApiError(404, "not_found", f'run {run_id} kept no {side} of node "{node_id}" (it did not run, '
                                         "or its run data was pruned)")
    name = f'{run["workflow_id"]}-{run_id}-{node_id}{"-input" if side == "input" else ""}.{format}'
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "jsonl":
        return StreamingResponse(ctx.run_data.jsonl(files), media_type=FORMATS[format], headers=disposition)
    path = ctx.run_data.export(files, format)
    return FileResponse(path, media_type=FORMATS[format], filename=name,
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/run-data")
def run_data_size(ctx: ServerContext = Depends(get_context)) -> RunDataResponse:
    """How much the runs' data takes (`run-data/` in the data folder). What is kept is set by
    WIREWORK_KEEP_RUNS / WIREWORK_KEEP_RUN_DAYS (`GET /api/storage` shows the retention)."""
    return ctx.run_data.size()


@router.get("/runs/{run_id}/nodes/{node_id}/logs")
def node_logs(run_id: str, node_id: str, ctx: ServerContext = Depends(get_context)) -> NodeLogsResponse:
    node = _node(_run(ctx, run_id), node_id)
    return NodeLogsResponse(logs=node["logs"] or "", error=node["error"])


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data, default=str) + b"\n\n"


async def _stream(request: Request, ctx: ServerContext, run_id: str | None):
    sub = ctx.hub.subscribe(run_id)
    try:
        if run_id is not None:
            # Replay what already happened, then follow live (subscribed first: no gap).
            run = _run(ctx, run_id)
            yield _sse("run_state", run)
            if run["status"] not in ACTIVE_STATUSES:
                yield _sse("run_finished", {"run_id": run_id, "status": run["status"], "error": run["error"],
                                            "at": run["ended_at"]})
                return
        while True:
            if await request.is_disconnected():
                return
            try:
                event, data = await asyncio.wait_for(sub.queue.get(), SSE_KEEPALIVE_S)
            except asyncio.TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield _sse(event, data)
            if run_id is not None and event == "run_finished":
                return
    finally:
        ctx.hub.unsubscribe(sub)


@router.get("/runs/{run_id}/events", response_class=StreamingResponse, responses=EVENT_STREAM)
async def run_events(run_id: str, request: Request, ctx: ServerContext = Depends(get_context)) -> StreamingResponse:
    _run(ctx, run_id)
    return StreamingResponse(_stream(request, ctx, run_id), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/events", response_class=StreamingResponse, responses=EVENT_STREAM)
async def all_events(request: Request, ctx: ServerContext = Depends(get_context)) -> StreamingResponse:
    return StreamingResponse(_stream(request, ctx, None), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
