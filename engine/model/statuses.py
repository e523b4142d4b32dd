"""Every status a run or a node of a run can have, in one place (as Prefect's
`StateType` and `TERMINAL_STATES`): Python code compares with these members and the
editor gets the same values through the OpenAPI schema.

A run is `queued` until a worker takes it, `running` while it executes, `cancelling`
from the moment the user asks it to stop until it has (at most a short grace, then its
processes are killed), and ends `completed`, `failed` (a node failed, or the run reached
its memory limit), `cancelled` (the user asked) or `crashed` (its process ended without
reporting an end). A node starts `pending`; `retrying` is an
attempt that failed with retries left; `not_run` means an upstream node failed (or, in a
partial run, that the node was not part of it). Issue 16 adds three ends of a node that
did not run its code: `reused` (a partial run took its output from an earlier run),
`pinned` (it emitted its pinned records) and `skipped` (it is disabled and passed its
input through unchanged).
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CRASHED = "crashed"


class NodeStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    NOT_RUN = "not_run"
    CANCELLED = "cancelled"
    CRASHED = "crashed"
    REUSED = "reused"
    PINNED = "pinned"
    SKIPPED = "skipped"


ACTIVE_RUN_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.CANCELLING})
TERMINAL_RUN_STATUSES = frozenset(set(RunStatus) - ACTIVE_RUN_STATUSES)
ACTIVE_NODE_STATUSES = frozenset({NodeStatus.PENDING, NodeStatus.RUNNING, NodeStatus.RETRYING})
TERMINAL_NODE_STATUSES = frozenset(set(NodeStatus) - ACTIVE_NODE_STATUSES)
# A node that ended with an output a later partial run may reuse.
NODE_STATUSES_WITH_OUTPUT = frozenset({NodeStatus.COMPLETED, NodeStatus.REUSED, NodeStatus.PINNED,
                                       NodeStatus.SKIPPED})
