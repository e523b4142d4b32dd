"""Storage routes: the run history's size and retention (`GET /api/storage`), and a prune
now (`POST /api/storage/prune`) besides the server's own schedule."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends

from stores import Unavailable

from engine.server.context import ServerContext, get_context
from engine.server.db.run_retention import history_size
from engine.server.schemas.errors import COMMON_ERRORS
from engine.server.schemas.storage import PruneResponse, StorageResponse
from engine.server.services.history_pruner import HistoryPruner

router = APIRouter(prefix="/api/storage", tags=["storage"], responses=COMMON_ERRORS)


def _pruner(ctx: ServerContext) -> HistoryPruner:
    if ctx.pruner is None:
        raise Unavailable("this server keeps no run history pruner")
    return ctx.pruner


@router.get("")
def storage(ctx: ServerContext = Depends(get_context)) -> StorageResponse:
    size = history_size(ctx.db)
    pruner = _pruner(ctx)
    run_data = pruner.run_data_bytes()
    return StorageResponse(app_db_bytes=size.file_bytes, app_db_wal_bytes=size.wal_bytes,
                           app_db_used_bytes=size.used_bytes, app_db_free_bytes=size.free_bytes,
                           run_data_bytes=run_data, total_bytes=size.file_bytes + size.wal_bytes + run_data,
                           runs=size.runs, node_runs=size.node_runs, retention=asdict(pruner.policy),
                           last_prune=pruner.last_report())


@router.post("/prune")
def prune(ctx: ServerContext = Depends(get_context)) -> PruneResponse:
    """Prune the run history now by the server's retention; answers what was deleted."""
    return asdict(_pruner(ctx).prune())
