"""Who may talk to the API, checked once for every request before any route runs.

Owns the local API token (`api-token` in the data folder, 0600, created on first start,
as Jupyter does), the editor's session cookie derived from it, and `SecurityMiddleware`:

- **Host** must be this machine's name (127.0.0.1, localhost, [::1]) or a configured
  host, on every route — a DNS-rebinding page reaches us under its own name and is
  refused (403).
- **Origin**, when a browser sends one on a state-changing request, must be our own
  origin (403); `Sec-Fetch-Site: cross-site` is refused too.
- **JSON routes** take only `Content-Type: application/json` (415): a cross-site
  "simple" request (text/plain, form-encoded) can never reach a route. Store uploads
  take multipart form data; webhooks (and the demo's Slack stand-in) take whatever
  their sender posts (a webhook's URL carries the workflow's own token).
- **`/api/*`** (except `/api/health`) needs the token — `Authorization: Bearer …` or the
  HttpOnly, SameSite=Strict cookie the editor gets by opening `/?token=…` once — or a
  *run token*: a worker's token, valid only while its run is active and only for the
  routes, secrets, stores and projects its workflow names (`run_may_call`) — or the
  *worker credential* (engine/server/worker_credential.py), which reaches only
  `/api/workers/*` and Prefect's proxy `/api/prefect/*`, or a remote run's *Prefect
  token* (issued with its job, valid until its process ends — its run token ends with
  the run, before Prefect has its final state), which reaches Prefect's proxy only, not
  its work-pool routes. On the proxy, credentials also come as Prefect clients send them
  (HTTP Basic of `PREFECT_API_AUTH_STRING`), and its websockets are checked here too.

A pure ASGI middleware, not Starlette's BaseHTTPMiddleware: it must not buffer the
SSE streams and costs one dict lookup per request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import parse_qsl, urlencode

import orjson

from engine.server.worker_credential import read_or_create_private_token

if TYPE_CHECKING:  # `wirework token` imports this module and must stay fast
    from engine.model.run_scope import RunScope

TOKEN_FILE = "api-token"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN_API_PATHS = frozenset({"/api/health", "/api/prefect/health"})
PREFECT_PROXY = "/api/prefect/"
WORKER_PATHS = ("/api/workers/", PREFECT_PROXY)
# Prefect's work-pool routes: reads (Prefect's events name a run's work queue) but no
# writes or polls for a run's Prefect token — a run must not take flow runs off the pool.
_RUN_REFUSED_PREFECT = ("/api/prefect/work_pools", "/api/prefect/work_queues", "/api/prefect/workers")
_AUTH_HINT = ("send the API token as `Authorization: Bearer <token>` (print it with `wirework token`), "
              "or open the editor through the URL that `wirework up` printed")


def load_or_create_api_token(data_home: Path) -> str:
    """The server's API token: read from the data folder, or created there (0600) once."""
    return read_or_create_private_token(data_home / TOKEN_FILE, lambda: secrets.token_urlsafe(32))


def read_api_token(data_home: Path) -> str | None:
    """The token of the server that owns this data folder, for CLI, benches and tests."""
    try:
        return (data_home / TOKEN_FILE).read_text().strip() or None
    except OSError:
        return None


def bearer_headers(data_home: Path) -> dict[str, str]:
    """Request headers that authenticate as the user of this data folder (CLI, benches, tests)."""
    return {"Authorization": f"Bearer {read_api_token(data_home)}"}


def session_cookie_name(port: int) -> str:
    # Cookies ignore ports: two servers on localhost must not overwrite each other's.
    return f"wirework_session_{port}"


def session_value(api_token: str) -> str:
    """The cookie's value: derived from the token (valid across restarts, void when it changes),
    so the token itself never sits in the browser's cookie jar."""
    return hmac.new(api_token.encode(), b"wirework editor session", hashlib.sha256).hexdigest()


# -- what a run token may call -------------------------------------------------------------
_RUN_ROUTES: list[tuple[frozenset[str], re.Pattern[str], Callable[[RunScope, dict[str, str]], bool]]] = [
    (frozenset({"POST"}), re.compile(r"^/api/internal/runs/(?P<run>[^/]+)/events$"),
     lambda s, m: m["run"] == s.run_id),
    # Its own run data (issue 16): upload each node's output, read back the outputs it reuses.
    (frozenset({"PUT"}), re.compile(r"^/api/internal/runs/(?P<run>[^/]+)/nodes/[^/]+/output/\d{1,6}$"),
     lambda s, m: m["run"] == s.run_id),
    (frozenset({"GET"}), re.compile(r"^/api/internal/runs/(?P<run>[^/]+)/nodes/[^/]+/output$"),
     lambda s, m: m["run"] == s.run_id),
    (frozenset({"GET"}), re.compile(r"^/api/internal/workflows/(?P<wf>[^/]+)$"),
     lambda s, m: m["wf"] == s.workflow_id),
    (frozenset({"GET"}), re.compile(r"^/api/internal/secrets/(?P<name>[^/]+)$"),
     lambda s, m: m["name"] in s.secrets),
    (frozenset({"GET", "PUT"}), re.compile(r"^/api/internal/cursors/(?P<wf>[^/]+)/[^/]+/(?P<store>[^/]+)$"),
     lambda s, m: m["wf"] == s.workflow_id and m["store"] in s.stores),
    (frozenset({"POST"}), re.compile(r"^/api/internal/cursors/(?P<wf>[^/]+)/[^/]+/(?P<store>[^/]+)/advance$"),
     lambda s, m: m["wf"] == s.workflow_id and m["store"] in s.stores),
    (frozenset({"GET"}), re.compile(r"^/api/stores/(?P<store>[^/]+)(?:/records|/since)?$"),
     lambda s, m: m["store"] in s.stores),
    (frozenset({"POST"}), re.compile(r"^/api/stores/(?P<store>[^/]+)/(?:records|query|delete)$"),
     lambda s, m: m["store"] in s.stores),
    # A staged write (issue 20): open it, send its batches, commit or abort it.
    (frozenset({"POST"}), re.compile(r"^/api/stores/(?P<store>[^/]+)/writes(?:/[^/]+/(?:batches|commit))?$"),
     lambda s, m: m["store"] in s.stores),
    (frozenset({"DELETE"}), re.compile(r"^/api/stores/(?P<store>[^/]+)/writes/[^/]+$"),
     lambda s, m: m["store"] in s.stores),
    (frozenset({"POST"}), re.compile(r"^/api/internal/labeling/projects/(?P<project>[^/]+)/bundle$"),
     lambda s, m: m["project"] in s.projects),
]


def run_may_call(scope: RunScope, method: str, path: str) -> bool:
    """True when a run with `scope` may call `method path` (a closed list; the rest is refused)."""
    for methods, pattern, allowed in _RUN_ROUTES:
        match = pattern.match(path)
        if match and method in methods:
            return allowed(scope, match.groupdict())
    return False


def _run_may_call_prefect(method: str, path: str) -> bool:
    """A remote run's Prefect token: Prefect's proxy, but no writes to its work-pool routes."""
    return path.startswith(PREFECT_PROXY) and (method == "GET" or not path.startswith(_RUN_REFUSED_PREFECT))


# -- the middleware ------------------------------------------------------------------------
@dataclass
class Principal:
    """Who sent a request: the user (token or cookie) or one run (its scope)."""

    kind: str  # "user" | "run" | "worker" | "run_prefect" | "anonymous"
    run: RunScope | None = None


USER = Principal("user")
ANONYMOUS = Principal("anonymous")
WORKER = Principal("worker")
RUN_PREFECT = Principal("run_prefect")


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def host_name(host_header: str) -> str:
    """`127.0.0.1:8400` → `127.0.0.1`; `[::1]:8400` → `::1`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SecurityMiddleware:
    def __init__(self, app: Any, *, api_token: str, port: int, allowed_hosts: set[str],
                 run_scope_of: Callable[[str], RunScope | None], worker_token: str | None = None,
                 is_run_prefect_token: Callable[[str], bool] = lambda token: False):
        self.app = app
        self._token = api_token.encode()
        self._worker_token = worker_token.encode() if worker_token else None
        self._is_run_prefect_token = is_run_prefect_token
        self._session = session_value(api_token).encode()
        self._cookie = session_cookie_name(port)
        self._hosts = frozenset(h.lower().strip("[]") for h in allowed_hosts) | LOCAL_HOSTS
        self._run_scope_of = run_scope_of

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            ws_refusal = self._websocket_refusal(scope)
            if ws_refusal is not None:
                await receive()  # websocket.connect
                return await send({"type": "websocket.close", "code": 1008, "reason": ws_refusal})
            return await self.app(scope, receive, send)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self._refusal(scope)
        if refusal is not None:
            status, error, detail, headers = refusal
            return await _send_json(send, status, {"error": error, "detail": detail}, headers)
        return await self.app(scope, receive, send)

    def _refusal(self, scope: dict[str, Any]) -> tuple[int, str, str, list[tuple[bytes, bytes]]] | None:
        method, path = scope["method"], scope["path"]
        host = _header(scope, b"host") or ""
        if host_name(host) not in self._hosts:
            return 403, "forbidden_host", (f"Host {host!r} is not this server's name; allowed: "
                                           f"{', '.join(sorted(self._hosts))} (set WIREWORK_ALLOWED_HOSTS)"), []
        if method in UNSAFE_METHODS:
            origin = _header(scope, b"origin")
            if origin is not None and origin.lower() not in (f"http://{host}".lower(), f"https://{host}".lower()):
                return 403, "forbidden_origin", f"requests from the page at {origin!r} are not accepted", []
            if (_header(scope, b"sec-fetch-site") or "").lower() == "cross-site":
                return 403, "forbidden_origin", "cross-site requests are not accepted", []
            problem = _content_type_problem(scope, path)
            if problem is not None:
                return 415, "unsupported_media_type", problem, []
        principal = self._principal(scope)
        scope.setdefault("state", {})["principal"] = principal  # for routes outside /api (demo controls)
        if path.startswith("/api/") or path == "/api":
            if path in OPEN_API_PATHS:
                return None
            if principal.kind == "anonymous":
                return 401, "unauthorized", _AUTH_HINT, [(b"www-authenticate", b"Bearer")]
            if principal.kind == "worker" and not path.startswith(WORKER_PATHS):
                return 403, "forbidden", (f"the worker token may not call {method} {path}: it reaches only "
                                          "/api/workers/* and Prefect's proxy /api/prefect/*"), []
            if principal.kind == "run_prefect" and not _run_may_call_prefect(method, path):
                return 403, "forbidden", f"a run's Prefect token may not call {method} {path}", []
            run = principal.run
            if principal.kind == "run" and (run is None or not run_may_call(run, method, path)):
                who = f"run {run.run_id} of workflow \"{run.workflow_id}\"" if run else "this run"
                return 403, "forbidden", (f"{who} "
                                          f"may not call {method} {path}: a run reaches only the secrets, stores "
                                          "and projects its workflow names"), []
            return None
        if method == "GET" and b"token=" in scope.get("query_string", b""):
            return self._sign_in(scope)
        return None

    def _websocket_refusal(self, scope: dict[str, Any]) -> str | None:
        """Websockets: only Prefect's proxy has any, for the same callers as its HTTP routes."""
        path = scope["path"]
        if host_name(_header(scope, b"host") or "") not in self._hosts:
            return "forbidden host"
        if not path.startswith("/api"):
            return None
        principal = self._principal(scope)
        if not path.startswith(PREFECT_PROXY) or principal.kind == "anonymous":
            return "unauthorized"
        if principal.kind == "run" or (principal.kind == "run_prefect" and not _run_may_call_prefect("GET", path)):
            return "forbidden"
        return None

    def _credential(self, scope: dict[str, Any]) -> str | None:
        authorization = _header(scope, b"authorization") or ""
        if authorization[:7].lower() == "bearer ":
            return authorization[7:].strip()
        if authorization[:6].lower() == "basic " and scope["path"].startswith(PREFECT_PROXY):
            try:  # a Prefect client's PREFECT_API_AUTH_STRING
                return base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        return None

    def _principal(self, scope: dict[str, Any]) -> Principal:
        given = self._credential(scope)
        if given is not None:
            if hmac.compare_digest(given.encode(), self._token):
                return USER
            if self._worker_token is not None and hmac.compare_digest(given.encode(), self._worker_token):
                return WORKER
            run = self._run_scope_of(given)
            if run is not None:
                return Principal("run", run)
            if scope["path"].startswith(PREFECT_PROXY) and self._is_run_prefect_token(given):
                return RUN_PREFECT
            return ANONYMOUS
        cookie = _header(scope, b"cookie")
        if cookie:
            morsel = SimpleCookie(cookie).get(self._cookie)
            if morsel is not None and hmac.compare_digest(morsel.value.encode(), self._session):
                return USER
        return ANONYMOUS

    def _sign_in(self, scope: dict[str, Any]) -> tuple[int, str, str, list[tuple[bytes, bytes]]]:
        """`/?token=…` (the URL `wirework up` prints): set the session cookie and redirect to
        the same page without the token, so it does not stay in the address bar or history."""
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in pairs if k == "token"), "")
        rest = urlencode([(k, v) for k, v in pairs if k != "token"])
        location = scope["path"] + (f"?{rest}" if rest else "")
        headers = [(b"location", location.encode()), (b"cache-control", b"no-store")]
        if hmac.compare_digest(given.strip().encode(), self._token):
            cookie = f"{self._cookie}={self._session.decode()}; HttpOnly; SameSite=Strict; Path=/"
            headers.append((b"set-cookie", cookie.encode()))
            return 303, "signed_in", "signed in; continue to the editor", headers
        return 303, "unauthorized", "wrong token", headers


RUN_DATA_MEDIA_TYPE = "application/vnd.apache.arrow.file"  # engine/model/run_data_files.py MEDIA_TYPE
_RUN_DATA_UPLOAD = re.compile(r"^/api/internal/runs/[^/]+/nodes/[^/]+/output/\d{1,6}$")

# Endpoints that stand for a receiving service (our webhooks, the demo's Slack stand-in).
_RECEIVER_PREFIXES = ("/hooks/", "/demo/slack/")


def _content_type_problem(scope: dict[str, Any], path: str) -> str | None:
    if path.startswith(_RECEIVER_PREFIXES):
        return None  # a webhook sender picks its own content type (hooks: the URL's token is the check)
    content_type = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    has_body = (_header(scope, b"content-length") or "0") != "0" or _header(scope, b"transfer-encoding") is not None
    if not content_type and not has_body:
        return None
    if content_type == "application/json":
        return None
    if content_type == "multipart/form-data" and path.endswith("/upload"):
        return None
    if content_type == RUN_DATA_MEDIA_TYPE and _RUN_DATA_UPLOAD.match(path):
        return None  # a run's data part (engine/client/run_data_client.py): Arrow, not JSON
    return (f"this route takes Content-Type: application/json (got {content_type or 'none'!r})"
            + ("; uploads take multipart/form-data" if path.endswith("/upload") else ""))


async def _send_json(send: Any, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})


def principal_of(request: Any) -> Principal:
    """The principal the middleware found for this request (routes that filter by it)."""
    return request.scope.get("state", {}).get("principal", ANONYMOUS)
