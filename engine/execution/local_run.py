"""Starting a run from this process: wire the observers, call `run_graph`, summarise.

Used by `wirework run` (no server: the CLI owns the app database) and by tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stores.client import StoreClient, StoreSecrets

from engine.execution.executor import RunEnvironment, run_graph, set_environment
from engine.execution.record_spool import RunScratch
from engine.execution.run_data import LocalRunData
from engine.model.workflow import Workflow
from engine.execution.run_events import ObserverGroup, RunObserver
from engine.model.runs import NodeResult, RunInfo, RunSummary, trigger_record, utcnow
from engine.model.statuses import NodeStatus, RunStatus


class RunCollector:
    """Keeps the latest result of each node in memory to build the summary."""

    def __init__(self) -> None:
        self.info: RunInfo | None = None
        self.nodes: dict[str, NodeResult] = {}
        self.status: RunStatus | None = None  # until the run reports its end
        self.error: str | None = None
        self.ended_at: datetime | None = None

    def run_started(self, info: RunInfo) -> None:
        self.info = info
        self.nodes = {nid: NodeResult(run_id=info.run_id, node_id=nid, status=NodeStatus.PENDING)
                      for nid in info.node_ids}

    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None:
        result = self.nodes[node_id]
        result.status, result.attempts, result.records_in = NodeStatus.RUNNING, attempt, records_in
        result.started_at = result.started_at or at

    def node_finished(self, result: NodeResult) -> None:
        self.nodes[result.node_id] = result

    def run_finished(self, run_id: str, status: RunStatus, error: str | None, at: datetime) -> None:
        self.status, self.error, self.ended_at = RunStatus(status), error, at


def run_workflow(
    workflow: Workflow,
    payload: Any = None,
    *,
    app_db: RunObserver | None = None,  # the app database, when this process owns it
    observers: list[RunObserver] | None = None,
    store_client: StoreClient | None = None,
    secrets: StoreSecrets | None = None,
    trigger: str = "manual",
    data_home: Path | None = None,
) -> RunSummary:
    """Run `workflow` once in this process through Prefect and return its summary; with
    `data_home`, every node's output is kept in its `run-data/` (engine/execution/run_data.py)."""
    run_id = str(uuid.uuid4())
    collector = RunCollector()
    group = ObserverGroup(collector, app_db, *(observers or []))
    set_environment(RunEnvironment(observer=group, store_client=store_client, secrets=secrets,
                                   workflow=workflow.model_dump(mode="json"),
                                   trigger=trigger_record(run_id, trigger, payload),
                                   run_data=LocalRunData(data_home) if data_home is not None else None))
    try:
        state = run_graph(workflow.id, run_id=run_id, return_state=True)
    finally:
        set_environment(None)
        RunScratch(run_id).remove()  # what the run spilled and did not drop itself (a failed branch)
    if collector.info is None:  # the flow failed before the run started (e.g. invalid workflow)
        message = str(state.message or "the run did not start")
        try:
            state.result()
        except Exception as exc:
            message = str(exc)
        now = utcnow()
        return RunSummary(run_id, workflow.id, RunStatus.FAILED, message, now, now)
    # A run that started but never reported its end (its flow died half-way) crashed.
    status = collector.status or RunStatus.CRASHED
    return RunSummary(run_id, workflow.id, status, collector.error, collector.info.started_at,
                      collector.ended_at, collector.nodes)
