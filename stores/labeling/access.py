"""How flow-run processes reach labeling projects: one call on their StoreClient.

The `labeling.enrich` node needs one thing from the process that owns the project:
`labeling_bundle(project, tasks) -> dict` (the JSON bundle described in
enrichment.py: heuristics, lookup terms, trained active-learner weights, precisions,
weak-supervision constants). The node looks for, in order:

1. `store_client.labeling_bundle(project, tasks)` — the in-process client wrapped in
   `LabelingStoreClient` (`wirework run`, tests), or an HTTP client that implements it;
2. `store_client.call("POST", BUNDLE_ROUTE.format(project=...), {"tasks": [...] | null})`
   — the HTTP client's escape hatch for internal routes. The server exposes
   `POST /api/internal/labeling/projects/{project}/bundle` (internal token, since the
   bundle carries labeling-function code): `LabelingService.enrichment_bundle`, or the
   `LabelingError` it raised, in the API's error shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

LABELING_DB_FILE = "labeling.duckdb"  # in the data folder, next to stores.duckdb
BUNDLE_ROUTE = "/api/internal/labeling/projects/{project}/bundle"


@runtime_checkable
class LabelingAccess(Protocol):
    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]: ...


class LabelingStoreClient:
    """A StoreClient plus `labeling_bundle`, answered by a LabelingService in this process.

    Give it a service, or a `db_path` to open one on first use (and close with this
    client): a run that never enriches never opens the labeling database.
    """

    def __init__(self, store_client: Any, service: Any = None, *, db_path: str | Path | None = None):
        if service is None and db_path is None:
            raise ValueError("give a LabelingService or the path of the labeling database")
        self._store_client = store_client
        self._service = service
        self._db_path = db_path
        self._owns_service = False

    def _labeling(self) -> Any:
        if self._service is None:
            from .service import LabelingService

            self._service = LabelingService(self._db_path, self._store_client)
            self._owns_service = True
        return self._service

    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        return self._labeling().enrichment_bundle(project, tasks)

    def close(self) -> None:
        if self._owns_service and self._service is not None:
            self._service.close()
            self._service = None
        self._store_client.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store_client, name)
