"""How flow-run processes reach labeling projects: `labeling_bundle` on their StoreClient.

The `labeling.enrich` node needs one thing from the process that owns the project:
`labeling_bundle(project, tasks) -> dict` (the JSON bundle described in
enrichment.py: heuristics, lookup terms, trained active-learner weights, precisions,
weak-supervision constants) — the `StoreLabeling` part of the StoreClient protocol
(stores/client.py). In-process, `LabelingStoreClient` answers it from a LabelingService
and passes everything else to the store client it wraps (`wirework run`, tests); over
HTTP, `engine.client.store_client.HttpStoreClient` asks the server's internal bundle
route. Either way the node calls `ctx.store_client.labeling_bundle(...)` and gets the
bundle or the `LabelingError` the service raised.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ..client import DataStores, Record, StoreClient, StoreLabeling

if TYPE_CHECKING:
    from .service import LabelingService

LABELING_DB_FILE = "labeling.duckdb"  # in the data folder, next to stores.duckdb
# The bundle route is the server's and the HTTP client's (engine/client/store_client.py).


# The StoreLabeling protocol under its older name (stores.labeling exports it).
LabelingAccess = StoreLabeling


class LabelingStoreClient:
    """A StoreClient: a `DataStores` (e.g. LocalStoreClient) plus `labeling_bundle`,
    answered by a LabelingService in this process.

    Give it a service, or a `db_path` to open one on first use (and close with this
    client): a run that never enriches never opens the labeling database.
    """

    def __init__(self, store_client: DataStores, service: LabelingService | None = None, *,
                 db_path: str | Path | None = None):
        if service is None and db_path is None:
            raise ValueError("give a LabelingService or the path of the labeling database")
        self._store_client = store_client
        self._service = service
        self._db_path = db_path
        self._owns_service = False

    def _labeling(self) -> LabelingService:
        if self._service is None:
            from .service import LabelingService

            assert self._db_path is not None  # checked in __init__
            self._service = LabelingService(self._db_path, self._store_client)
            self._owns_service = True
        return self._service

    # -- labeling --------------------------------------------------------------------------
    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        return self._labeling().enrichment_bundle(project, tasks)

    def close(self) -> None:
        if self._owns_service and self._service is not None:
            self._service.close()
            self._service = None
        self._store_client.close()

    # -- everything else is the wrapped client's ------------------------------------------
    def list_stores(self) -> list[dict[str, Any]]:
        return self._store_client.list_stores()

    def create_store(self, name: str, *, exist_ok: bool = False) -> dict[str, Any]:
        return self._store_client.create_store(name, exist_ok=exist_ok)

    def describe_store(self, name: str) -> dict[str, Any]:
        return self._store_client.describe_store(name)

    def drop_store(self, name: str) -> None:
        self._store_client.drop_store(name)

    def upsert(self, name: str, records: list[Record], *, create: bool = False) -> dict[str, int]:
        return self._store_client.upsert(name, records, create=create)

    def upsert_batches(self, name: str, batches: Iterable[list[Record]], *, create: bool = False) -> dict[str, int]:
        return self._store_client.upsert_batches(name, batches, create=create)

    def browse(self, name: str, *, where: dict[str, Any] | None = None, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        return self._store_client.browse(name, where=where, limit=limit, offset=offset)

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[Record]:
        return self._store_client.read(name, where=where, limit=limit, offset=offset)

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        return self._store_client.read_since(name, after_seq, limit)

    def delete(self, name: str, ids: list[str]) -> int:
        return self._store_client.delete(name, ids)

    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int:
        return self._store_client.get_cursor(workflow_id, node_id, store)

    def advance_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> int:
        return self._store_client.advance_cursor(workflow_id, node_id, store, seq)

    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None:
        self._store_client.set_cursor(workflow_id, node_id, store, seq)

    def list_cursors(self, store: str | None = None) -> list[dict[str, Any]]:
        return self._store_client.list_cursors(store)

    def list_files(self) -> list[dict[str, Any]]:
        return self._store_client.list_files()

    def import_file(self, name: str, path: str, *, format: str | None = None, id_field: str = "id",
                    create: bool = True) -> dict[str, Any]:
        return self._store_client.import_file(name, path, format=format, id_field=id_field, create=create)

    def export_file(self, name: str, path: str, *, format: str | None = None,
                    where: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._store_client.export_file(name, path, format=format, where=where)

    def set_secret(self, name: str, value: str, *, kind: str = "secret") -> dict[str, Any]:
        return self._store_client.set_secret(name, value, kind=kind)

    def list_secrets(self, kind: str | None = None) -> list[dict[str, Any]]:
        return self._store_client.list_secrets(kind)

    def describe_secret(self, name: str) -> dict[str, Any]:
        return self._store_client.describe_secret(name)

    def delete_secret(self, name: str) -> bool:
        return self._store_client.delete_secret(name)

    def get_secret(self, name: str) -> str:
        return self._store_client.get_secret(name)


def _implements(client: LabelingStoreClient) -> StoreClient:
    return client  # mypy checks here that LabelingStoreClient implements the whole StoreClient
