"""The StoreClient interface: the one way nodes and flow runs reach stores.

Two implementations share it: an in-process one over the DuckDB files (used by the
process that owns them: the API server, or `wirework run` with no server) and an HTTP
one (flow runs in other processes or on other machines, through the API). Arguments
and results are plain JSON-able values and whole batches, never single rows, so the
HTTP implementation is a thin translation.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

Record = dict[str, Any]


@runtime_checkable
class StoreClient(Protocol):
    # -- shared stores -------------------------------------------------------------
    def list_stores(self) -> list[dict[str, Any]]: ...
    def create_store(self, name: str) -> dict[str, Any]: ...
    def describe_store(self, name: str) -> dict[str, Any]: ...
    def drop_store(self, name: str) -> None: ...

    def upsert(self, name: str, records: list[Record]) -> dict[str, int]:
        """Insert or update by `id`, all or nothing; returns {"inserted": n, "updated": m}."""
        ...

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[Record]: ...

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        """Records written after `after_seq`: {"records": [...], "last_seq": int}."""
        ...

    def delete(self, name: str, ids: list[str]) -> int: ...

    # -- incremental cursors (per workflow and node) ---------------------------------
    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int: ...
    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None: ...

    # -- secrets (values only ever flow towards nodes, never back out) ---------------
    def get_secret(self, name: str) -> str: ...
