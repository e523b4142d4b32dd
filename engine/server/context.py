"""The objects the API routes work with, created once per server process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from engine.server.services.launcher import DEFAULT_MAX_CONCURRENT
from engine.server.body_limit import max_body_bytes as configured_max_body_bytes
from engine.server.db.app_db import AppDatabase
from engine.server.services.event_hub import EventHub
from engine.server.services.history_pruner import HistoryPruner, RetentionPolicy
from engine.server.services.runs import RunService
from engine.server.db.workflows import WorkflowRepository


@dataclass
class ServerSettings:
    data_home: Path
    host: str = "127.0.0.1"
    port: int = 8400
    prefect_api_url: str | None = None
    editor_dist: Path | None = None
    webhook_max_bytes: int = 1_000_000
    max_body_bytes: int = field(default_factory=configured_max_body_bytes)  # other routes: WIREWORK_MAX_BODY_MB
    seed_dir: Path | None = None  # sample flows imported on the first start
    api_token: str | None = None  # None: the data folder's `api-token` (created on first start)
    allowed_hosts: set[str] = field(default_factory=set)  # Host names accepted besides this machine's
    max_concurrent_runs: int = DEFAULT_MAX_CONCURRENT
    retention: RetentionPolicy = field(default_factory=RetentionPolicy.from_env)  # WIREWORK_KEEP_RUNS, …
    run_workers: bool = True  # False: API only (tests of routes that never run flows)
    embedding_service: bool = True  # False: the API loads the model itself (the OpenAPI dump)
    # engine.cli.prefect_supervisor.PrefectSupervisor of the Prefect server `wirework up`
    # started; None: an external server (--prefect-api-url) or none at all
    prefect_supervisor: Any = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class ServerContext:
    settings: ServerSettings
    db: AppDatabase
    repo: WorkflowRepository
    hub: EventHub
    runs: RunService
    stores: Any = None  # the in-process StoreClient (stores/)
    schedules: Any = None  # engine.schedules.ScheduleSync
    labeling: Any = None  # stores.labeling.LabelingService
    embeddings: Any = None  # engine.embedding.supervisor.EmbeddingSupervisor (None: no service)
    pruner: HistoryPruner | None = None  # set when the server starts
    run_data: Any = None  # services/run_data.py RunDataService: every node's records of every run


def get_context(request: Request) -> ServerContext:
    return request.app.state.wirework
