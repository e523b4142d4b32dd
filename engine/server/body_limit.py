"""The size limit on request bodies, for every route, before any route reads a byte.

Without it a 50 MB workflow description was stored (and then sent back by every list
call) and a 100 MB record POST grew the API by 600 MB it never gave back. The limit is
`WIREWORK_MAX_BODY_MB` (default 64 MB); a body above it is answered 413
`payload_too_large`, checked on the declared Content-Length first and, for a body sent
without one (chunked), while it streams in, so it is never held whole.

Two kinds of route keep their own, different limit:
- uploads (`…/upload`, multipart) take up to the upload limit (200 MB), since a whole
  CSV or Parquet file is one body; Starlette spools it to disk, not memory;
- webhooks (`/hooks/…`) check theirs in the route (1 MB, `ServerSettings.webhook_max_bytes`);
- a part of a run's data (`PUT /api/internal/runs/…/output/N`, a run token for its own run
  only) takes up to 256 MB: parts are ~16 MB, a single record may be larger.
A run's record upserts (`POST /api/stores/{name}/records` with a run token) meet the same
limit as a user's: a run is user code, and its token must not buy an unbounded body. A
big write goes as a staged write instead (`POST /api/stores/{name}/writes`, then one
request per batch of ~10,000 records, each within this limit, then one commit: issue 20),
still all or nothing.

A pure ASGI middleware, run after `SecurityMiddleware` (a request refused there is never
read), so streaming responses are not buffered.
"""

from __future__ import annotations

import os
import re
from typing import Any

from starlette.exceptions import HTTPException

ENV = "WIREWORK_MAX_BODY_MB"
DEFAULT_MAX_BODY_MB = 64.0
UPLOAD_MAX_BYTES = 200 * 1024 * 1024
_MULTIPART_SLACK = 1024 * 1024  # boundaries and part headers around the uploaded file
_HOOKS = "/hooks/"
_UPLOAD = re.compile(r"^/api/stores/[^/]+/upload$")
_RUN_DATA_PART = re.compile(r"^/api/internal/runs/[^/]+/nodes/[^/]+/output/\d{1,6}$")
RUN_DATA_PART_MAX_BYTES = 256 * 1024 * 1024


def max_body_bytes(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """The configured limit in bytes; a value that is not a positive number is refused at
    start rather than silently ignored."""
    raw = environ.get(ENV, "").strip()
    if not raw:
        return int(DEFAULT_MAX_BODY_MB * 1024 * 1024)
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not mb > 0:
        raise ValueError(f"{ENV}={raw!r}: give the largest request body in MB, a positive number like 64")
    return int(mb * 1024 * 1024)


def _mb(limit: int) -> str:
    return f"{limit / 2**20:g} MB"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit: routes and FastAPI's
    body parsing let an HTTPException through, and the error handlers answer it 413."""

    def __init__(self, limit: int, what: str):
        super().__init__(413, f"{what} is larger than {_mb(limit)}"
                         + (f"; the limit is set by {ENV}" if what == "the request body" else ""))


class BodyLimitMiddleware:
    def __init__(self, app: Any, *, max_bytes: int, upload_max_bytes: int = UPLOAD_MAX_BYTES):
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    def _limit(self, scope: dict[str, Any]) -> tuple[int, str] | None:
        path = scope["path"]
        if path.startswith(_HOOKS):
            return None
        if _UPLOAD.match(path):
            return self.upload_max_bytes + _MULTIPART_SLACK, "an upload"
        if _RUN_DATA_PART.match(path):  # ~16 MB each (engine/model/run_data_files.py), more for one huge record
            return max(self.max_bytes, RUN_DATA_PART_MAX_BYTES), "a part of a run's data"
        return self.max_bytes, "the request body"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit(scope)
        if limit is None:
            return await self.app(scope, receive, send)
        max_bytes, what = limit
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            return await _refuse(send, BodyTooLarge(max_bytes, what))
        received = 0

        async def counting_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes, what)
            return message

        return await self.app(scope, counting_receive, send)


def _content_length(scope: dict[str, Any]) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Any, exc: BodyTooLarge) -> None:
    import orjson

    payload = orjson.dumps({"error": "payload_too_large", "detail": exc.detail})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
