"""The StoreClient interface: the one way nodes and flow runs reach stores.

Two implementations share it: an in-process one over the DuckDB files
(`stores.local_client.LocalStoreClient`, used by the process that owns them: the API
server, or `wirework run` with no server) and an HTTP one (flow runs in other processes
or on other machines, through the API). Arguments and results are plain JSON-able values
and whole batches, never single rows, so the HTTP implementation is a thin translation.

Errors are the typed exceptions of `stores.errors` (not found, exists, invalid name,
record, filter, path or secret); an HTTP implementation re-raises the same types.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

Record = dict[str, Any]


@runtime_checkable
class StoreClient(Protocol):
    # -- shared stores -------------------------------------------------------------
    def list_stores(self) -> list[dict[str, Any]]:
        """[{name, count, created_at, last_write_at, last_seq}] by name."""
        ...

    def create_store(self, name: str, *, exist_ok: bool = False) -> dict[str, Any]: ...

    def describe_store(self, name: str) -> dict[str, Any]:
        """{name, count, data_bytes, created_at, last_write_at, last_seq, schema: {field: [json types]},
        schema_sampled_records, sample: [records]}."""
        ...

    def drop_store(self, name: str) -> None:
        """Drops the store and every incremental cursor into it."""
        ...

    def upsert(self, name: str, records: list[Record], *, create: bool = False) -> dict[str, int]:
        """Insert or update by `id`, all or nothing: {"inserted", "updated", "unchanged"}.

        Records written again with identical data are `unchanged` (they keep their seq, so
        incremental readers do not see them again). In a batch repeating an id, the last wins."""
        ...

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[Record]:
        """Records in write order; `where` is {dotted.field: value} equality, ANDed."""
        ...

    def browse(self, name: str, *, where: dict[str, Any] | None = None, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        """{"records", "total", "offset", "limit"} from one snapshot."""
        ...

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        """Records written (inserted or changed) after `after_seq`: {"records": [...], "last_seq": int}."""
        ...

    def delete(self, name: str, ids: list[str]) -> int: ...

    # -- incremental cursors (per workflow and node) ---------------------------------
    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int: ...

    def advance_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> int:
        """Forward only; returns the cursor now in force."""
        ...

    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None:
        """Exact (a reset: 0 re-reads everything next run)."""
        ...

    def list_cursors(self, store: str | None = None) -> list[dict[str, Any]]: ...

    # -- file stores (paths are relative to the data folder's files/) ----------------
    def list_files(self) -> list[dict[str, Any]]:
        """[{path, bytes, modified}] under files/."""
        ...

    def import_file(self, name: str, path: str, *, format: str | None = None, id_field: str = "id",
                    create: bool = True) -> dict[str, Any]:
        """Upsert a csv / parquet / jsonl / xlsx file (format from the extension unless given):
        {store, path, format, rows, inserted, updated, unchanged}."""
        ...

    def export_file(self, name: str, path: str, *, format: str | None = None,
                    where: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the store (or the records matching `where`): {store, path, format, records, bytes}."""
        ...

    # -- secrets and webhook targets (values only ever flow towards nodes) -----------
    def set_secret(self, name: str, value: str, *, kind: str = "secret") -> dict[str, Any]:
        """Returns the entry masked: {name, kind, value: masked, created_at, updated_at}."""
        ...

    def list_secrets(self, kind: str | None = None) -> list[dict[str, Any]]: ...

    def describe_secret(self, name: str) -> dict[str, Any]: ...

    def delete_secret(self, name: str) -> bool: ...

    def get_secret(self, name: str) -> str:
        """The clear value, for nodes at run time; never exposed by the API."""
        ...

    def close(self) -> None: ...
