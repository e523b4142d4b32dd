"""Retrying crashed runs (issue 17 part 11): whether a crashed run is started again.

A workflow's `retry_crashed: N` (default 0) starts a crashed run again, up to N times.
A run *crashed* when its worker process ended before reporting the run's end (killed,
out of the machine's memory, a lost Prefect connection that took the process down) —
not when a node failed (that is the workflow's own outcome; nodes have `retries`), nor
at the memory limit (it would only reach it again). Only runs nobody is watching are
retried: scheduled and webhook runs. A manual run's crash is shown to the user who
started it, and a run the user cancelled is never started again.

A retry is a new run of the same saved version, with the same trigger (kind, payload and
time); it records the run it retries (`retry_of`) and its attempt (the first run is 1),
and the crashed run's error names the retry. Runs left active by a server that stopped
are marked crashed at the next start and not retried: that is an operator's restart,
not a worker's crash.

`retry_plan` only decides; `RunService.on_worker_exit` queues and launches the retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from engine.model.statuses import RunStatus
from engine.model.validation import validate_workflow
from engine.model.workflow import Workflow
from engine.server.db.workflows import WorkflowNotFound, WorkflowRepository

log = logging.getLogger("wirework.runs")
RETRIED_TRIGGERS = frozenset({"schedule", "webhook"})


@dataclass
class RetryPlan:
    workflow: Workflow  # the version the crashed run ran
    trigger: dict[str, Any]  # the crashed run's trigger record
    attempt: int  # of the retry: 2 for the first
    attempts: int  # at most, the first run included (1 + retry_crashed)


def retry_plan(run: dict[str, Any], repo: WorkflowRepository) -> RetryPlan | None:
    """The retry of this run, which is crashing now, or None when it is not retried."""
    if run["status"] == RunStatus.CANCELLING:
        return None  # the user asked it to stop: whatever ended it, it is not started again
    trigger = run["trigger"] if isinstance(run["trigger"], dict) else {}
    if trigger.get("trigger") not in RETRIED_TRIGGERS:
        return None
    try:
        workflow = repo.get_version(run["workflow_id"], run["workflow_version"])
    except WorkflowNotFound:
        return None  # deleted since: nothing to run
    attempt = int(run.get("attempt") or 1)
    if attempt > workflow.retry_crashed:
        return None
    if validate_workflow(workflow):
        log.warning('crashed run %s of "%s" not retried: its version %d no longer validates',
                    run["id"], workflow.id, workflow.version)
        return None
    return RetryPlan(workflow=workflow, trigger=trigger, attempt=attempt + 1, attempts=workflow.retry_crashed + 1)
