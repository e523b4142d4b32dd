"""Prefect's API through the wirework API, for remote workers and their runs (`/api/prefect/…`).

Why a proxy rather than opening Prefect's port: a worker on another machine then needs
only the API's address and its worker credential — Prefect keeps listening on
127.0.0.1 with its auth string, which never leaves the server. Callers authenticate as
Prefect clients do, with `PREFECT_API_AUTH_STRING` (HTTP Basic on every request and
the websocket's auth message): a worker sets it to its worker credential, each of its
run processes to the Prefect token its job came with (services/work_pool_runs.py);
engine/server/security.py checks them (a run's token is refused on the work-pool
routes) and this module swaps in the server's auth string.

HTTP requests are forwarded whole (Prefect's answers are small JSON); websockets (the
events a run's task runs are recorded from, the cancellation stream a worker watches)
are piped both ways, with the auth handshake's token replaced.
"""

from __future__ import annotations

import asyncio
import base64
import os
import httpx
import orjson
from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import Response

from engine.server.errors import ApiError

router = APIRouter(prefix="/api/prefect", include_in_schema=False)
_DROP_REQUEST = frozenset({"host", "authorization", "content-length", "connection", "accept-encoding", "cookie",
                           "transfer-encoding", "keep-alive", "upgrade"})
_DROP_RESPONSE = frozenset({"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"})
TIMEOUT_S = 60.0


def _upstream(request: Request | WebSocket) -> str:
    url = request.app.state.wirework.settings.prefect_api_url
    if not url:
        raise ApiError(503, "unavailable", "this server has no Prefect server to forward to")
    return url.rstrip("/")


def _auth_string() -> str | None:
    return os.environ.get("PREFECT_API_AUTH_STRING") or None


def _client(request: Request) -> httpx.AsyncClient:
    client = getattr(request.app.state, "prefect_proxy_client", None)
    if client is None:
        # One pooled client for the process; Prefect is plain HTTP on this machine.
        client = request.app.state.prefect_proxy_client = httpx.AsyncClient(
            timeout=TIMEOUT_S, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
    return client


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def forward(path: str, request: Request) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_REQUEST}
    auth = _auth_string()
    if auth:
        headers["authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    try:
        upstream = await _client(request).request(
            request.method, f"{_upstream(request)}/{path}", params=list(request.query_params.multi_items()),
            content=await request.body(), headers=headers)
    except httpx.HTTPError as exc:
        raise ApiError(503, "unavailable", f"Prefect does not answer: {type(exc).__name__}") from None
    kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP_RESPONSE}
    return Response(upstream.content, status_code=upstream.status_code, headers=kept)


def _with_server_auth(text: str) -> str:
    """A client's auth handshake carries its wirework credential: Prefect gets its own."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if isinstance(message, dict) and message.get("type") == "auth":
        message["token"] = _auth_string()
        return orjson.dumps(message).decode()
    return text


@router.websocket("/{path:path}")
async def forward_websocket(websocket: WebSocket, path: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    url = _upstream(websocket).replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/" + path
    if websocket.url.query:
        url += "?" + websocket.url.query
    auth = _auth_string()
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    protocols = [Subprotocol(p) for p in websocket.scope.get("subprotocols") or []]
    try:
        upstream = await connect(url, subprotocols=protocols or None, additional_headers=headers, max_size=None,
                                 open_timeout=10)
    except Exception:
        await websocket.close(code=1011)
        return
    await websocket.accept(subprotocol=upstream.subprotocol)

    async def to_prefect() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await upstream.send(_with_server_auth(message["text"]))
            elif message.get("bytes") is not None:
                await upstream.send(message["bytes"])

    async def to_client() -> None:
        async for message in upstream:
            if isinstance(message, str):
                await websocket.send_text(message)
            else:
                await websocket.send_bytes(message)

    tasks = [asyncio.ensure_future(to_prefect()), asyncio.ensure_future(to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await upstream.close()
        try:
            await websocket.close()
        except Exception:
            pass  # the client went first
