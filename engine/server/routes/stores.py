"""Store and secret routes: a thin translation of the in-process StoreClient to HTTP.

A staged write (`…/writes`, issue 20) is `upsert_batches` over HTTP: open, one request per
batch (each within the body limit), commit or abort. The batches are staged to disk by
the stores (stores/staged_writes.py), never held here, and the DuckDB work runs off the
event loop.

Secret values go in (PUT) and never come out: listing shows masked entries only; the
value is readable solely by worker processes through the internal route.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from stores import FileUnreadable

from engine.server.body_limit import UPLOAD_MAX_BYTES
from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.schemas.common import MAX_COUNT, RecordsJSONResponse
from engine.server.schemas.errors import COMMON_ERRORS, error_responses
from engine.server.schemas.secrets import SecretResponse, SecretSet
from engine.server.schemas.stores import (
    RECORD_BATCH, WRITE_BATCH, BatchStagedResponse, DeletedResponse, ImportResponse, RecordDelete, RecordPageResponse,
    RecordQuery, RecordsResponse, SinceResponse, StoreCreate, StoreResponse, StoreSummaryResponse, UpsertResponse,
    WriteOpenedResponse,
)

router = APIRouter(prefix="/api", tags=["stores"], responses={**COMMON_ERRORS, **error_responses(404, 503)})
EXPORT_FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "jsonl": "application/x-ndjson"}


def stores_of(ctx: ServerContext = Depends(get_context)):
    if ctx.stores is None:
        raise ApiError(503, "unavailable", "stores are not available in this server")
    return ctx.stores


def _where(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        where = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid_request", "`where` must be a JSON object like {\"ticker\": \"ACME\"}") from None
    if not isinstance(where, dict):
        raise ApiError(422, "invalid_request", "`where` must be a JSON object")
    return where


# -- stores ------------------------------------------------------------------------
@router.get("/stores")
def list_stores(stores=Depends(stores_of)) -> list[StoreSummaryResponse]:
    return stores.list_stores()


@router.post("/stores", status_code=201, responses=error_responses(409))
def create_store(body: StoreCreate, stores=Depends(stores_of)) -> StoreResponse:
    return stores.create_store(body.name)


@router.get("/stores/{name}")
def describe_store(name: str, stores=Depends(stores_of)) -> StoreResponse:
    return stores.describe_store(name)


@router.delete("/stores/{name}", status_code=204)
def drop_store(name: str, stores=Depends(stores_of)) -> Response:
    stores.drop_store(name)
    return Response(status_code=204)


# The record routes answer up to hundreds of thousands of records: orjson writes them
# (RecordsJSONResponse) and the response model only declares their shape.
@router.get("/stores/{name}/records", response_model=RecordPageResponse)
def browse_records(name: str, offset: int = Query(0, ge=0, le=MAX_COUNT), limit: int = Query(50, ge=1, le=10_000),
                   where: str | None = Query(None, max_length=10_000, description='a JSON object: {"ticker": "ACME"}'),
                   stores=Depends(stores_of)) -> RecordsJSONResponse:
    return RecordsJSONResponse(stores.browse(name, where=_where(where), limit=limit, offset=offset))


@router.post("/stores/{name}/records", openapi_extra=RECORD_BATCH)
async def upsert_records(name: str, request: Request, create: bool = Query(False, description="make the store first"),
                         stores=Depends(stores_of)) -> UpsertResponse:
    try:
        records = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid_request", "the body must be a JSON list of records") from None
    return stores.upsert(name, records, create=create)


async def _records_of(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid_request", "the body must be a JSON list of records") from None


@router.post("/stores/{name}/writes", status_code=201)
def open_write(name: str, create: bool = Query(False, description="make the store when the write commits"),
               stores=Depends(stores_of)) -> WriteOpenedResponse:
    return WriteOpenedResponse(write_id=stores.open_write(name, create=create))


@router.post("/stores/{name}/writes/{write_id}/batches", openapi_extra=WRITE_BATCH)
async def stage_batch(name: str, write_id: str, request: Request, stores=Depends(stores_of)) -> BatchStagedResponse:
    """A bad record answers 422 naming it, and the write is aborted."""
    try:
        records = await _records_of(request)
    except ApiError:
        stores.abort_write(name, write_id, missing_ok=True)  # a refused batch ends the write, as a bad record does
        raise
    return await run_in_threadpool(stores.stage_batch, name, write_id, records)


@router.post("/stores/{name}/writes/{write_id}/commit")
def commit_write(name: str, write_id: str, stores=Depends(stores_of)) -> UpsertResponse:
    return stores.commit_write(name, write_id)


@router.delete("/stores/{name}/writes/{write_id}", status_code=204)
def abort_write(name: str, write_id: str, stores=Depends(stores_of)) -> Response:
    stores.abort_write(name, write_id)
    return Response(status_code=204)


@router.post("/stores/{name}/query", response_model=RecordsResponse)
def query_records(name: str, body: RecordQuery, stores=Depends(stores_of)) -> RecordsJSONResponse:
    return RecordsJSONResponse({"records": stores.read(name, where=body.where, limit=body.limit, offset=body.offset)})


@router.get("/stores/{name}/since", response_model=SinceResponse)
def read_since(name: str, after_seq: int = Query(..., ge=0, le=MAX_COUNT),
               limit: int | None = Query(None, ge=1, le=MAX_COUNT),
               stores=Depends(stores_of)) -> RecordsJSONResponse:
    return RecordsJSONResponse(stores.read_since(name, after_seq, limit))


@router.post("/stores/{name}/delete")
def delete_records(name: str, body: RecordDelete, stores=Depends(stores_of)) -> DeletedResponse:
    return DeletedResponse(deleted=stores.delete(name, body.ids))


@router.post("/stores/{name}/upload", responses=error_responses(413))
async def upload_file(name: str, file: UploadFile = File(...), id_field: str = Query("id", max_length=100),
                      stores=Depends(stores_of)) -> ImportResponse:
    original = Path(file.filename or "upload").name
    suffix = Path(original).suffix.lower()
    if suffix not in (".csv", ".parquet", ".jsonl", ".ndjson", ".json"):
        raise ApiError(422, "invalid_request", f'"{original}": upload a .csv, .parquet or .jsonl file')
    relative = f"uploads/{uuid.uuid4().hex}{suffix}"
    target = stores.files_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(target, "wb") as out:
        while chunk := await file.read(1024 * 1024):
            size += len(chunk)
            if size > UPLOAD_MAX_BYTES:
                out.close()
                target.unlink(missing_ok=True)
                raise ApiError(413, "payload_too_large", f"uploads are limited to {UPLOAD_MAX_BYTES // 2**20} MiB")
            out.write(chunk)
    try:
        result = stores.import_file(name, relative, id_field=id_field)
    except FileUnreadable as exc:  # it names our temporary file: name the one the user sent
        raise FileUnreadable(original, exc.format, exc.reason.replace(target.name, original)) from None
    finally:
        target.unlink(missing_ok=True)
    return {**result, "path": original}


@router.get("/stores/{name}/download", response_class=FileResponse,
            responses={200: {"description": "The store as a file", "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in EXPORT_FORMATS.values()}}})
def download_file(name: str, format: Literal["csv", "parquet", "jsonl"] = Query("csv"), stores=Depends(stores_of)):
    relative = f"downloads/{uuid.uuid4().hex}.{format}"
    (stores.files_dir / "downloads").mkdir(parents=True, exist_ok=True)
    stores.export_file(name, relative, format=format)
    target = stores.files_dir / relative
    return FileResponse(target, media_type=EXPORT_FORMATS[format], filename=f"{name}.{format}",
                        background=BackgroundTask(target.unlink, missing_ok=True))


# -- secrets and webhook targets ------------------------------------------------------

@router.get("/secrets", tags=["secrets"])
def list_secrets(stores=Depends(stores_of)) -> list[SecretResponse]:
    return stores.list_secrets()


@router.put("/secrets/{name}", tags=["secrets"])
def set_secret(name: str, body: SecretSet, stores=Depends(stores_of)) -> SecretResponse:
    return stores.set_secret(name, body.value, kind=body.kind)


@router.delete("/secrets/{name}", status_code=204, tags=["secrets"])
def delete_secret(name: str, stores=Depends(stores_of)) -> Response:
    if not stores.delete_secret(name):
        raise ApiError(404, "not_found", f'no secret "{name}"')
    return Response(status_code=204)

