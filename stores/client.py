"""The StoreClient interface: the one way nodes and flow runs reach stores.

It is made of small protocols, one per concern — `StoreRecords` (shared stores and their
records), `StoreCursors` (incremental cursors), `StoreSecrets` (secrets and webhook
targets), `StoreFiles` (import/export of files) and `StoreLabeling` (a labeling project's
enrichment bundle) — so code that needs one concern can ask for just that one.
`DataStores` is everything of one data folder except labeling projects; `StoreClient` is
all five, and is what a run's nodes get (`NodeContext.store_client`).

Two implementations: in-process, `stores.local_client.LocalStoreClient` (a `DataStores`
over the DuckDB files, used by the process that owns them: the API server, or `wirework
run` with no server) wrapped in `stores.labeling.LabelingStoreClient` (adds the labeling
projects); and over HTTP, `engine.client.store_client.HttpStoreClient` (flow runs in
worker processes, through the API). Both implement every method; nodes call the protocol
and never probe an implementation for what it offers. Arguments and results are plain
JSON-able values and whole batches, never single rows, so the HTTP implementation is a
thin translation.

Errors are the typed exceptions of `stores.errors` (and `stores.labeling.errors` for the
bundle), members of wirework's error family (`WireworkError`: NotFound, Conflict,
Invalid, Forbidden, Unavailable); the HTTP implementation re-raises the same types from
the API's JSON errors.
"""

from __future__ import annotations

from typing import Any, Iterable, Protocol, runtime_checkable

Record = dict[str, Any]


@runtime_checkable
class StoreRecords(Protocol):
    """Shared stores: named tables of JSON records with an `id`, written in `seq` order."""

    def list_stores(self) -> list[dict[str, Any]]:
        """[{name, count, created_at, last_write_at, last_seq}] by name."""
        ...

    def create_store(self, name: str, *, exist_ok: bool = False) -> dict[str, Any]:
        """Creates the store (StoreExists if it exists, unless `exist_ok`); returns `describe_store`."""
        ...

    def describe_store(self, name: str) -> dict[str, Any]:
        """{name, count, data_bytes, created_at, last_write_at, last_seq, schema: {field: [json types]},
        schema_sampled_records, sample: [records]}."""
        ...

    def drop_store(self, name: str) -> None:
        """Drops the store and every incremental cursor into it."""
        ...

    def upsert(self, name: str, records: list[Record], *, create: bool = False) -> dict[str, int]:
        """Insert or update by `id`, all or nothing: {"inserted", "updated", "unchanged"}.

        `create` makes the store in the same transaction when it does not exist. Records
        written again with identical data are `unchanged` (they keep their seq, so
        incremental readers do not see them again). In a batch repeating an id, the last wins."""
        ...

    def upsert_batches(self, name: str, batches: Iterable[list[Record]], *, create: bool = False) -> dict[str, int]:
        """Upsert records that arrive batch by batch as ONE write: all or nothing, with the
        same counts ({"inserted","updated","unchanged"}) and seq semantics as `upsert` over the
        concatenation of the batches (a duplicate id keeps the rule `upsert` has within one
        batch). Neither the caller nor the store side holds all batches at once; a batch is
        consumed, staged (to disk, not memory) and dropped. A record that is invalid raises
        the same StoreError/RecordInvalid as `upsert` (naming the record id) and nothing is
        written. `create` as in `upsert`."""
        ...

    def browse(self, name: str, *, where: dict[str, Any] | None = None, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        """{"records", "total", "offset", "limit"} from one snapshot."""
        ...

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[Record]:
        """Records in write order; `where` is {dotted.field: value} equality, ANDed."""
        ...

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        """Records written (inserted or changed) after `after_seq`: {"records": [...], "last_seq": int}."""
        ...

    def delete(self, name: str, ids: list[str]) -> int:
        """Deletes the records with these ids; returns how many existed."""
        ...


@runtime_checkable
class StoreCursors(Protocol):
    """Incremental cursors: how far a (workflow, node) has read a store, by seq."""

    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int: ...

    def advance_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> int:
        """Forward only (overlapping runs never move it back); returns the cursor now in force."""
        ...

    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None:
        """Exact (a reset: 0 re-reads everything next run)."""
        ...

    def list_cursors(self, store: str | None = None) -> list[dict[str, Any]]: ...


@runtime_checkable
class StoreSecrets(Protocol):
    """Secrets and webhook targets: values only ever flow towards nodes."""

    def set_secret(self, name: str, value: str, *, kind: str = "secret") -> dict[str, Any]:
        """Returns the entry masked: {name, kind, value: masked, created_at, updated_at}."""
        ...

    def list_secrets(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Masked entries by name, of one kind ("secret" or "webhook") or all."""
        ...

    def describe_secret(self, name: str) -> dict[str, Any]:
        """The masked entry (SecretNotFound if it is not set)."""
        ...

    def delete_secret(self, name: str) -> bool:
        """True if it existed."""
        ...

    def get_secret(self, name: str) -> str:
        """The clear value, for nodes at run time; the public API never serves it."""
        ...


@runtime_checkable
class StoreFiles(Protocol):
    """Files in and out of stores. In-process, paths are relative to the data folder's
    files/; over HTTP they name a file on the client's side, sent to or received from
    the API."""

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


@runtime_checkable
class StoreLabeling(Protocol):
    """What a run needs from a labeling project (see stores/labeling/access.py)."""

    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        """The project's enrichment bundle (stores/labeling/enrichment.py) for these tasks
        (None: all): heuristics, lookup terms, trained active learners, precisions,
        weak-supervision constants. Labeling errors (NotFound, HeuristicError...) as raised."""
        ...


@runtime_checkable
class DataStores(StoreRecords, StoreCursors, StoreSecrets, StoreFiles, Protocol):
    """Everything of one data folder but its labeling projects (`LocalStoreClient`)."""

    def close(self) -> None: ...


@runtime_checkable
class StoreClient(DataStores, StoreLabeling, Protocol):
    """The whole interface: what `NodeContext.store_client` is."""
