"""Labeling projects after Kern AI's refinery: records synced from a shared store, tasks
with label sets, manual labels, heuristics (labeling functions, lookup lists, active
learners on transformer embeddings), statistics and weak supervision.

Public names: `LabelingService` (the Python API the REST layer wraps), the bundle-based
`ProjectEnricher` the `labeling.enrich` node uses, `LabelingStoreClient`/`LabelingAccess`
(how a flow run reaches a project), the embedder and the errors.
"""

from .access import LABELING_DB_FILE, LabelingAccess, LabelingStoreClient
from .embeddings import DEFAULT_MODEL, Embedder, get_embedder, pick_device
from .enrichment import ProjectEnricher
from .errors import (AlreadyExists, HeuristicError, InvalidName, LabelingError, LabelingInvalid, NotFound,
                     StoreUnavailable, UnknownLabel)
from .service import LabelingService
from .weak_supervision import WeakSupervisionSettings

__all__ = [
    "AlreadyExists", "DEFAULT_MODEL", "LABELING_DB_FILE", "Embedder", "HeuristicError", "InvalidName", "LabelingAccess",
    "LabelingError", "LabelingInvalid", "LabelingService", "LabelingStoreClient", "NotFound", "ProjectEnricher",
    "StoreUnavailable", "UnknownLabel", "WeakSupervisionSettings", "get_embedder", "pick_device",
]
