"""Every error the API returns is JSON `{error, detail, node?}` with a fitting status.

The one place where errors become status codes: routes and services just raise a member
of the error family (`WireworkError`: NotFound, Conflict, Invalid, Forbidden,
Unavailable, defined in stores/errors.py), which maps to a 4xx/503 here by its kind;
`ApiError` is for the few HTTP-only answers a route gives itself. Anything unexpected
is logged and answered with a 500 that leaks nothing.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stores import Conflict, Forbidden, Invalid, NotFound, Unavailable, WireworkError
from stores.labeling import LabelingError

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


# The error family's status codes: an exception's status is that of the first family
# member in its class's MRO. What it is about (node, problems, current_version, project,
# heuristic, line, ...) travels with the exception (`kind`, `detail`, `details()`).
FAMILY_STATUS: dict[type[WireworkError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Forbidden: 403,
    Unavailable: 503,
}
# The labeling API has answered bad input with 400 since its first version (the editor's
# labeling pages and their tests rely on it); everything else invalid is a 422.
LABELING_INVALID_STATUS = 400


def status_of(exc: WireworkError) -> int:
    status = next((FAMILY_STATUS[cls] for cls in type(exc).__mro__ if cls in FAMILY_STATUS), 500)
    if status == 422 and isinstance(exc, LabelingError):
        return LABELING_INVALID_STATUS
    return status


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

    @app.exception_handler(WireworkError)
    async def _wirework_error(request: Request, exc: WireworkError):
        status = status_of(exc)
        if status == 500:  # the bare base class, raised without a kind: a programming error
            return _internal_error(request, exc)
        return error_response(status, exc.kind, exc.detail, **exc.details())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return _internal_error(request, exc)


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "the server failed unexpectedly; see the server log")
