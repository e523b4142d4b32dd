"""StoreClient over HTTP: how flow runs in worker processes (or other machines) reach
stores, secrets and saved workflows through the API process that owns the DuckDB files.

Same interface as the in-process client (stores/client.py); every call is one request
carrying a whole batch. It authenticates with a run's own token (engine/run_tokens.py),
so it reaches only the secrets, stores and projects that run's workflow names; secret
values are served only on internal routes, never through the public API.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from stores.batch import dumps_batch

from engine.client.reporting import auth_headers
from engine.model.workflow import Workflow


class StoreRequestError(RuntimeError):
    """The API refused a store call; the message is the API's own explanation."""


class HttpStoreClient:
    def __init__(self, api_url: str, token: str, timeout_s: float = 120.0):
        self._client = httpx.Client(base_url=api_url, timeout=timeout_s, headers=auth_headers(token))

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
              content: bytes | None = None) -> Any:
        if json is not None:
            content = orjson.dumps(json)
        headers = {"Content-Type": "application/json"} if content is not None else None
        response = self._client.request(method, path, content=content, params=params, headers=headers)
        if response.status_code >= 400:
            try:
                body = response.json()
                message = body.get("detail") or body.get("error") or response.text
            except ValueError:
                message = response.text
            raise StoreRequestError(f"{method} {path}: {response.status_code} {message}")
        if response.status_code == 204 or not response.content:
            return None
        return orjson.loads(response.content)

    # -- shared stores ---------------------------------------------------------------
    def list_stores(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/stores")

    def create_store(self, name: str) -> dict[str, Any]:
        return self._call("POST", "/api/stores", json={"name": name})

    def describe_store(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/api/stores/{name}")

    def drop_store(self, name: str) -> None:
        self._call("DELETE", f"/api/stores/{name}")

    def upsert(self, name: str, records: list[dict[str, Any]], *, create: bool = False) -> dict[str, int]:
        """All or nothing; `create` makes the store in the same transaction as the batch."""
        params = {"create": "true"} if create else None
        # Checked and encoded here, so a bad record is named before anything is sent.
        return self._call("POST", f"/api/stores/{name}/records", content=dumps_batch(name, records), params=params)

    def browse(self, name: str, *, where: dict[str, Any] | None = None, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if where:
            params["where"] = orjson.dumps(where).decode()
        return self._call("GET", f"/api/stores/{name}/records", params=params)

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[dict[str, Any]]:
        body = {"where": where, "limit": limit, "offset": offset}
        return self._call("POST", f"/api/stores/{name}/query", json=body)["records"]

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        params = {"after_seq": after_seq, **({"limit": limit} if limit is not None else {})}
        return self._call("GET", f"/api/stores/{name}/since", params=params)

    def delete(self, name: str, ids: list[str]) -> int:
        return self._call("POST", f"/api/stores/{name}/delete", json={"ids": ids})["deleted"]

    # -- cursors, secrets, workflows (internal routes) -------------------------------
    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int:
        return self._call("GET", f"/api/internal/cursors/{workflow_id}/{node_id}/{store}")["seq"]

    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None:
        self._call("PUT", f"/api/internal/cursors/{workflow_id}/{node_id}/{store}", json={"seq": seq})

    def advance_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> int:
        path = f"/api/internal/cursors/{workflow_id}/{node_id}/{store}/advance"
        return self._call("POST", path, json={"seq": seq})["seq"]

    def get_secret(self, name: str) -> str:
        return self._call("GET", f"/api/internal/secrets/{name}")["value"]

    def load_workflow(self, workflow_id: str) -> Workflow:
        return Workflow.model_validate(self._call("GET", f"/api/internal/workflows/{workflow_id}"))

    def call(self, method: str, path: str, json: Any = None) -> Any:
        """Escape hatch for node families with their own internal routes (e.g. labeling)."""
        return self._call(method, path, json=json)
