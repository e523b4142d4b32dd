"""How flow-run processes reach labeling projects: one method on the StoreClient.

The `labeling.enrich` node needs one thing from the process that owns the project:
`labeling_bundle(project, tasks) -> dict` (the JSON bundle described in
enrichment.py). Over HTTP this is one route (the server engineer's side):

    POST /api/labeling/projects/{project}/bundle   body {"tasks": [str] | null}
        200 -> the bundle; 404 unknown project/task; 400 other LabelingError (its to_dict())

`LabelingStoreClient` adds that method to any StoreClient in the owning process (the
in-process client of `wirework run`, tests), delegating everything else unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class LabelingAccess(Protocol):
    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]: ...


class LabelingStoreClient:
    """A StoreClient plus `labeling_bundle`, served by a LabelingService in this process."""

    def __init__(self, store_client: Any, service: Any):
        self._store_client = store_client
        self._service = service

    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        return self._service.enrichment_bundle(project, tasks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store_client, name)
