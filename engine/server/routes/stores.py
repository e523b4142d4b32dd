"""Store and secret routes: a thin translation of the in-process StoreClient to HTTP.

Secret values go in (PUT) and never come out: listing shows masked entries only; the
value is readable solely by worker processes through the internal route.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError

router = APIRouter(prefix="/api", tags=["stores"])
UPLOAD_MAX_BYTES = 200 * 1024 * 1024
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
def list_stores(stores=Depends(stores_of)) -> list[dict]:
    return stores.list_stores()


@router.post("/stores", status_code=201)
def create_store(body: dict = Body(...), stores=Depends(stores_of)) -> dict:
    if not isinstance(body.get("name"), str):
        raise ApiError(422, "invalid_request", "expected {\"name\": \"...\"}")
    return stores.create_store(body["name"])


@router.get("/stores/{name}")
def describe_store(name: str, stores=Depends(stores_of)) -> dict:
    return stores.describe_store(name)


@router.delete("/stores/{name}", status_code=204)
def drop_store(name: str, stores=Depends(stores_of)) -> Response:
    stores.drop_store(name)
    return Response(status_code=204)


@router.get("/stores/{name}/records")
def browse_records(name: str, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=10_000),
                   where: str | None = Query(None, max_length=10_000), stores=Depends(stores_of)) -> dict:
    return stores.browse(name, where=_where(where), limit=limit, offset=offset)


@router.post("/stores/{name}/records")
async def upsert_records(name: str, request: Request, create: bool = Query(False), stores=Depends(stores_of)) -> dict:
    try:
        records = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid_request", "the body must be a JSON list of records") from None
    return stores.upsert(name, records, create=create)


@router.post("/stores/{name}/query")
def query_records(name: str, body: dict = Body(...), stores=Depends(stores_of)) -> dict:
    limit, offset = body.get("limit"), body.get("offset", 0)
    if (limit is not None and not isinstance(limit, int)) or not isinstance(offset, int):
        raise ApiError(422, "invalid_request", "limit and offset must be integers")
    where = body.get("where")
    if where is not None and not isinstance(where, dict):
        raise ApiError(422, "invalid_request", "`where` must be a JSON object")
    return {"records": stores.read(name, where=where, limit=limit, offset=offset)}


@router.get("/stores/{name}/since")
def read_since(name: str, after_seq: int = Query(..., ge=0), limit: int | None = Query(None, ge=1),
               stores=Depends(stores_of)) -> dict:
    return stores.read_since(name, after_seq, limit)


@router.post("/stores/{name}/delete")
def delete_records(name: str, body: dict = Body(...), stores=Depends(stores_of)) -> dict:
    return {"deleted": stores.delete(name, body.get("ids"))}


@router.post("/stores/{name}/upload")
async def upload_file(name: str, file: UploadFile = File(...), id_field: str = Query("id", max_length=100),
                      stores=Depends(stores_of)) -> dict:
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
    finally:
        target.unlink(missing_ok=True)
    return {**result, "path": original}


@router.get("/stores/{name}/download")
def download_file(name: str, format: str = Query("csv"), stores=Depends(stores_of)):
    if format not in EXPORT_FORMATS:
        raise ApiError(422, "invalid_request", f"format must be one of {', '.join(EXPORT_FORMATS)}")
    relative = f"downloads/{uuid.uuid4().hex}.{format}"
    (stores.files_dir / "downloads").mkdir(parents=True, exist_ok=True)
    stores.export_file(name, relative, format=format)
    target = stores.files_dir / relative
    return FileResponse(target, media_type=EXPORT_FORMATS[format], filename=f"{name}.{format}",
                        background=BackgroundTask(target.unlink, missing_ok=True))


# -- secrets and webhook targets ------------------------------------------------------

@router.get("/secrets", tags=["secrets"])
def list_secrets(stores=Depends(stores_of)) -> list[dict]:
    return stores.list_secrets()


@router.put("/secrets/{name}", tags=["secrets"])
def set_secret(name: str, body: dict = Body(...), stores=Depends(stores_of)) -> dict:
    value, kind = body.get("value"), body.get("kind", "secret")
    if not isinstance(value, str) or not value:
        raise ApiError(422, "invalid_request", "expected {\"value\": \"...\"} with a non-empty string")
    return stores.set_secret(name, value, kind=kind)


@router.delete("/secrets/{name}", status_code=204, tags=["secrets"])
def delete_secret(name: str, stores=Depends(stores_of)) -> Response:
    if not stores.delete_secret(name):
        raise ApiError(404, "not_found", f'no secret "{name}"')
    return Response(status_code=204)

