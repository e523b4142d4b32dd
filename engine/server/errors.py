"""Every error the API returns is JSON `{error, detail, node?}` with a fitting status.

The one place where errors become status codes: routes and services just raise a member
of the error family (`WireworkError`: NotFound, Conflict, Invalid, Forbidden,
Unavailable, defined in stores/errors.py), which maps to a 4xx/503 here by its kind;
`ApiError` is for the few HTTP-only answers a route gives itself. Anything unexpected
is answered with a 500 that leaks nothing but a request id, and logged as one line with
that id, the exception and where it was raised (`InternalErrorMiddleware`): the answer is
a normal response, so the client's keep-alive connection stays usable.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path
from typing import Any

import orjson
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
    async def _unexpected(request: Request, exc: Exception):  # a failure outside InternalErrorMiddleware
        return _internal_error(request, exc)

    app.add_middleware(InternalErrorMiddleware)  # the innermost middleware: it sees every route's failure


_ROOT = Path(__file__).resolve().parents[2]


def _raised_at(exc: BaseException) -> str:
    """`file:line` of the innermost frame in wirework's own code (else the innermost one)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(_ROOT)) and "/.venv/" not in f.filename]
    candidates = ours or list(frames)
    if not candidates:
        return "?"
    frame = candidates[-1]
    path = Path(frame.filename)
    return f"{path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else path.name}:{frame.lineno}"


def log_internal_error(method: str, path: str, exc: BaseException) -> str:
    """Log one line for an unexpected failure and return its request id (for the answer)."""
    request_id = uuid.uuid4().hex[:12]
    message = str(exc).splitlines()[0][:300] if str(exc) else ""
    log.error("internal error %s on %s %s: %s%s (at %s)", request_id, method, path, type(exc).__name__,
              f": {message}" if message else "", _raised_at(exc))
    return request_id


def _internal_body(request_id: str) -> dict[str, Any]:
    return {"error": "internal_error", "request_id": request_id,
            "detail": f"the server failed unexpectedly (request {request_id}); the server log has a line with this id"}


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = log_internal_error(request.method, request.url.path, exc)
    return JSONResponse(_internal_body(request_id), status_code=500, headers={"x-request-id": request_id})


class InternalErrorMiddleware:
    """Catches what no handler did, inside Starlette's ServerErrorMiddleware: that one
    answers too but then re-raises, so uvicorn logs a traceback and closes the connection."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            request_id = log_internal_error(scope["method"], scope["path"], exc)
            if started:
                return  # the answer is on its way: nothing more can be said on it
            payload = orjson.dumps(_internal_body(request_id))
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode())]})
            await send({"type": "http.response.body", "body": payload})
