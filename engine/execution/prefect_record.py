"""What wirework's Prefect record of a run is keyed by, and how it reaches Prefect's API.

Every wirework run is a flow run of `run_graph` in Prefect (`FLOW_NAME`), found again by
its idempotency key (`IDEMPOTENCY_PREFIX` + the run id). Which code writes it:
Prefect's flow engine in the run process (scheduled and work-pool runs, `wirework run`),
or, for "run now"/webhook runs, one writer in the API (engine/server/services/prefect_writer.py,
issue 15); the API's settler ends the flow runs of dead run processes of the first kind
(engine/server/services/prefect_settler.py). Both API services send plain HTTP with these
helpers: building Prefect's client and pydantic models cost more CPU than the requests.
"""

from __future__ import annotations

import base64
import os
import uuid
from datetime import datetime
from typing import Any

import httpx

FLOW_NAME = "run_graph"  # the flow every wirework run is a run of (schedules and work pools use it too)
IDEMPOTENCY_PREFIX = "wirework-run-"  # + the run id: a retried create is the same flow run (and the API finds it)


def prefect_headers(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The Authorization header Prefect's own client would send (basic auth string or API key)."""
    env = os.environ if environ is None else environ
    if env.get("PREFECT_API_AUTH_STRING"):
        token = base64.b64encode(env["PREFECT_API_AUTH_STRING"].encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if env.get("PREFECT_API_KEY"):
        return {"Authorization": f"Bearer {env['PREFECT_API_KEY']}"}
    return {}


def use_csrf_token(client: httpx.Client) -> dict[str, Any] | None:
    """Ask Prefect for a CSRF token (its CSRF protection is on) and send it with every later
    request of `client`: {"client", "token", "expires"} (a timestamp), or None if refused."""
    client_id = str(uuid.uuid4())
    response = client.get("/csrf-token", params={"client": client_id})
    if response.status_code != 200:
        return None
    token = response.json()
    client.headers["Prefect-Csrf-Token"] = token["token"]
    client.headers["Prefect-Csrf-Client"] = client_id
    expires = datetime.fromisoformat(token["expiration"].replace("Z", "+00:00")).timestamp()
    return {"client": client_id, "token": token["token"], "expires": expires}


class PrefectRefused(Exception):
    """Prefect answered a request with an error status; `retry`: one worth trying again
    (a 5xx, 408 or 429), else the request itself is wrong (e.g. a 404)."""

    def __init__(self, message: str, retry: bool):
        super().__init__(message)
        self.retry = retry


def prefect_request(client: httpx.Client, method: str, path: str, body: Any) -> Any:
    """One request to Prefect's API: its JSON answer (None if empty). Asks for a CSRF token
    and tries once more when Prefect's CSRF protection refuses it; an error status raises
    PrefectRefused, a failed connection httpx's error."""
    response = client.request(method, path, json=body)
    if response.status_code == 403 and "CSRF" in response.text:
        use_csrf_token(client)
        response = client.request(method, path, json=body)
    if response.status_code >= 400:
        retry = response.status_code >= 500 or response.status_code in (408, 429)
        raise PrefectRefused(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}", retry)
    return response.json() if response.content else None
