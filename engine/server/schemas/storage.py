"""Wire shapes of the storage route: how large the run history is, what the server keeps
of it, and what the last prune removed."""

from __future__ import annotations

from pydantic import Field

from engine.server.schemas.common import ResponseModel, Timestamp


class RetentionResponse(ResponseModel):
    keep_runs_per_workflow: int = Field(description="the last N runs of each workflow are kept "
                                                    "(WIREWORK_KEEP_RUNS; 0: no count limit)")
    keep_days: float = Field(description="runs that ended within D days are kept (WIREWORK_KEEP_RUN_DAYS; 0: no age limit)")
    prune_every_s: float = Field(description="how often the server prunes (WIREWORK_PRUNE_EVERY_S; 0: only at start)")


class PruneResponse(ResponseModel):
    at: Timestamp
    runs_deleted: int
    node_runs_deleted: int
    run_data_folders_deleted: int
    took_s: float


class StorageResponse(ResponseModel):
    """The run history's footprint. Active runs and each workflow's newest run are never pruned."""

    app_db_bytes: int = Field(description="app.duckdb as it is on disk (workflows, versions and run history)")
    app_db_wal_bytes: int = Field(description="its write-ahead log, not yet checkpointed")
    app_db_used_bytes: int = Field(description="blocks of the file holding data")
    app_db_free_bytes: int = Field(description="blocks freed by pruning, reused before the file grows")
    run_data_bytes: int = Field(description="the runs' data folders (run-data/ in the data folder)")
    total_bytes: int = Field(description="app.duckdb, its WAL and the run data together")
    runs: int
    node_runs: int
    retention: RetentionResponse
    last_prune: PruneResponse | None = Field(description="the server's last prune (at start, then on its period)")
