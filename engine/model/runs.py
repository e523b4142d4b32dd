"""The records of a run every process shares: what a run is (`RunInfo`), what one node
did (`NodeResult`), the summary a finished run leaves (`RunSummary`), the trigger record
a run's first nodes receive (`trigger_record`), and `utcnow`, the one clock every
timestamp comes from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from engine.model.statuses import NodeStatus, RunStatus


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def trigger_record(run_id: str, trigger: str, payload: Any = None, time: datetime | None = None) -> dict[str, Any]:
    """The record a run's source nodes get: `{"id", "trigger", "payload", "time"}`.

    `trigger` is how the run started ("manual", "webhook", "schedule", ...), `payload`
    what came with it (a webhook's JSON body, `wirework run --payload`), `time` when it
    was triggered (a scheduled run's scheduled time; now by default)."""
    return {"id": run_id, "trigger": trigger, "payload": payload, "time": (time or utcnow()).isoformat()}


@dataclass
class RunInfo:
    run_id: str
    workflow_id: str
    workflow_version: int
    trigger: dict[str, Any]
    node_ids: list[str]
    started_at: datetime = field(default_factory=utcnow)
    prefect_flow_run_id: str | None = None
    # Per node, the upstream nodes whose outputs it receives, in order (run_plan.node_inputs):
    # how a node's input is read back from its run's data.
    inputs: dict[str, list[str]] | None = None


@dataclass
class NodeResult:
    run_id: str
    node_id: str
    status: NodeStatus
    attempts: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    records_in: int = 0
    records_out: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    logs: str = ""
    error: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.status = NodeStatus(self.status)  # a worker's event carries the plain string

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None


@dataclass
class RunSummary:
    run_id: str
    workflow_id: str
    status: RunStatus
    error: str | None
    started_at: datetime
    ended_at: datetime | None
    nodes: dict[str, NodeResult] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)

    @property
    def duration_s(self) -> float:
        return ((self.ended_at or utcnow()) - self.started_at).total_seconds()
