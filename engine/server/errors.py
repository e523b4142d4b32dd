"""Every error the API returns is JSON `{error, detail, node?}` with a fitting status.

Known user errors map to 4xx here, in one place, so routes just raise the domain
exception; anything unexpected is logged and answered with a 500 that leaks nothing.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stores import (
    FileNotFound, FilePathRefused, SecretNotFound, StoreClientClosed, StoreError, StoreExists, StoreNotFound,
)

from stores.labeling import LabelingError

from engine.model.workflow import WorkflowFileError
from engine.server.services.runs import RunNotFound
from engine.model.validation import WorkflowInvalid
from engine.server.db.workflows import VersionConflict, WorkflowExists, WorkflowNotFound

log = logging.getLogger("wirework.api")


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str, **extra):
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra


def error_response(status: int, error: str, detail: str, **extra) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def store_error_status(exc: StoreError) -> tuple[int, str]:
    if isinstance(exc, (StoreNotFound, SecretNotFound, FileNotFound)):
        return 404, "not_found"
    if isinstance(exc, StoreExists):
        return 409, "already_exists"
    if isinstance(exc, FilePathRefused):
        return 403, "path_refused"
    if isinstance(exc, StoreClientClosed):
        return 503, "unavailable"
    return 422, "invalid_request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.error, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return error_response(422, "invalid_request", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        names = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        return error_response(exc.status_code, names.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(WorkflowFileError)
    async def _bad_workflow(request: Request, exc: WorkflowFileError):
        return error_response(422, "invalid_workflow", "; ".join(exc.problems))

    @app.exception_handler(WorkflowInvalid)
    async def _invalid(request: Request, exc: WorkflowInvalid):
        first = exc.problems[0] if exc.problems else None
        return error_response(422, "workflow_invalid", str(exc), node=first.node if first else None,
                              problems=[p.to_dict() for p in exc.problems])

    @app.exception_handler(WorkflowNotFound)
    async def _wf_missing(request: Request, exc: WorkflowNotFound):
        return error_response(404, "not_found", str(exc))

    @app.exception_handler(RunNotFound)
    async def _run_missing(request: Request, exc: RunNotFound):
        return error_response(404, "not_found", str(exc))

    @app.exception_handler(WorkflowExists)
    async def _exists(request: Request, exc: WorkflowExists):
        return error_response(409, "already_exists", str(exc))

    @app.exception_handler(VersionConflict)
    async def _conflict(request: Request, exc: VersionConflict):
        return error_response(409, "version_conflict", str(exc), current_version=exc.current)

    @app.exception_handler(StoreError)
    async def _store_error(request: Request, exc: StoreError):
        status, error = store_error_status(exc)
        return error_response(status, error, str(exc))

    @app.exception_handler(LabelingError)
    async def _labeling_error(request: Request, exc: LabelingError):
        body = exc.to_dict()
        kind = {404: "not_found", 409: "already_exists"}.get(exc.status, "invalid_request")
        extra = {k: v for k, v in body.items() if k not in ("error", "detail") and v is not None}
        return error_response(exc.status if exc.status < 500 else 503, kind, body["detail"], **extra)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "the server failed unexpectedly; see the server log")
