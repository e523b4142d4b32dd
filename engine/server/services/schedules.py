"""Schedules: a workflow's cron becomes a Prefect deployment of `run_graph`, and due
scheduled runs are handed to warm workers.

Prefect's scheduler creates the scheduled flow runs (so schedules survive restarts in
Prefect's own database and show in Prefect). Instead of Prefect's runner — which polls
every 10 s and starts a cold subprocess per run — this loop polls every second for
runs of wirework deployments due within the second, waits until the first one's time
(so a run starts at its time, not up to a poll late), claims each due run with a Pending
state (so it runs once even if two servers poll) and starts it in a warm worker.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from uuid import UUID

log = logging.getLogger("wirework.schedules")
DEPLOYMENT_PREFIX = "run_graph/"
POLL_S = 1.0
RETRY_S = 2.0
DUE_EARLY_S = 0.01  # a run this close to its time is started now (waiting costs more than that)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


class _PrefectReachability:
    """One log line per change — Prefect lost, Prefect back — rather than a traceback on
    every retry while it is down (its supervisor restarts it; /api/health shows it)."""

    def __init__(self) -> None:
        self._down_since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("schedules paused: Prefect does not answer (%s); retrying every %.0f s",
                        _one_line(exc), RETRY_S)

    def reached(self) -> None:
        if self._down_since is not None:
            log.warning("schedules resumed: Prefect answers again after %.0f s", time.monotonic() - self._down_since)
            self._down_since = None


class ScheduleSync:
    def __init__(self, ctx):
        self.ctx = ctx
        self._pending: set[str] = set()
        self._full_sync = True
        self._deployments: dict[str, str] = {}  # workflow id -> deployment id
        self._lock = threading.Lock()
        self._prefect = _PrefectReachability()
        self._sync_errors: dict[str, str] = {}  # workflow id -> the last error logged for it
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="wirework-schedules", daemon=True)
        self.synced = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def request_sync(self, workflow_id: str) -> None:
        with self._lock:
            self._pending.add(workflow_id)
        self._wake.set()

    def deployment_id(self, workflow_id: str) -> str | None:
        with self._lock:
            return self._deployments.get(workflow_id)

    # -- the loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        from prefect.client.orchestration import get_client

        while not self._stop.is_set():
            try:
                with get_client(sync_client=True) as client:
                    self._flow_id = client.create_flow_from_name("run_graph")
                    while not self._stop.is_set():
                        self._sync_requested(client)
                        next_due_s = self._start_due_runs(client)
                        self._prefect.reached()
                        # Up to the next poll — or, when a run is due before it, until that
                        # run's time, so a run starts at its time rather than up to a poll late.
                        self._wake.wait(POLL_S if next_due_s is None else min(POLL_S, next_due_s))
                        self._wake.clear()
            except Exception as exc:  # Prefect unreachable (or restarting): retry, never die
                self._prefect.failed(exc)
                self._stop.wait(RETRY_S)

    def _sync_requested(self, client) -> None:
        ids: set[str] = set()
        if self._full_sync:  # first pass: every workflow and every deployment we left behind
            ids = {wf.id for wf in self.ctx.repo.all()} | self._known_deployments(client)
            self._full_sync = False
        with self._lock:
            ids |= self._pending
            self._pending.clear()
        for workflow_id in sorted(ids):
            try:
                self._sync_one(client, workflow_id)
            except Exception as exc:
                with self._lock:
                    self._pending.add(workflow_id)
                if _is_connection_error(exc):
                    raise  # Prefect itself is away: the loop says so once, not per workflow
                # Retried every loop: logged when the error changes, not every second.
                if self._sync_errors.get(workflow_id) != _one_line(exc):
                    self._sync_errors[workflow_id] = _one_line(exc)
                    log.warning('syncing the schedule of workflow "%s" failed (retrying): %s', workflow_id,
                                _one_line(exc))
            else:
                self._sync_errors.pop(workflow_id, None)
        self.synced.set()

    def _known_deployments(self, client) -> set[str]:
        from prefect.client.schemas.filters import FlowFilter, FlowFilterName

        deployments = client.read_deployments(flow_filter=FlowFilter(name=FlowFilterName(any_=["run_graph"])))
        with self._lock:
            for d in deployments:
                self._deployments[d.name] = str(d.id)
        return {d.name for d in deployments}

    def _sync_one(self, client, workflow_id: str) -> None:
        from prefect.client.schemas.actions import DeploymentScheduleCreate
        from prefect.client.schemas.schedules import CronSchedule
        from prefect.exceptions import ObjectNotFound

        from engine.server.db.workflows import WorkflowNotFound
        from engine.server.services.labeling_checks import server_problems

        try:
            workflow = self.ctx.repo.get(workflow_id)
        except WorkflowNotFound:
            workflow = None
        try:
            existing = client.read_deployment_by_name(DEPLOYMENT_PREFIX + workflow_id)
        except ObjectNotFound:
            existing = None
        wanted = None
        # An invalid version is never scheduled (issue 16): its deployment goes, and
        # GET /api/workflows/{id}/schedule says why.
        if (workflow is not None and workflow.schedule.cron
                and not server_problems(workflow, self.ctx.labeling, self.ctx.stores)):
            wanted = (workflow.schedule.cron, workflow.schedule.timezone, workflow.schedule.enabled)
        if existing is not None:
            have = None
            if existing.schedules:
                sched = existing.schedules[0]
                have = (getattr(sched.schedule, "cron", None), getattr(sched.schedule, "timezone", None),
                        sched.active and not existing.paused)
            if have == wanted and existing.parameters == {"workflow_id": workflow_id}:
                with self._lock:
                    self._deployments[workflow_id] = str(existing.id)
                return
            # Changed: replace it (its future scheduled runs go with it, none are lost:
            # the new deployment schedules the same cron from now on).
            client.delete_deployment(existing.id)
            with self._lock:
                self._deployments.pop(workflow_id, None)
        if wanted is None:
            return
        cron, tz, enabled = wanted
        deployment_id = client.create_deployment(
            flow_id=self._flow_id, name=workflow_id,
            schedules=[DeploymentScheduleCreate(schedule=CronSchedule(cron=cron, timezone=tz), active=enabled)],
            parameters={"workflow_id": workflow_id}, entrypoint="engine/execution/executor.py:run_graph",
            paused=not enabled, description=f"wirework workflow {workflow_id}",
        )
        with self._lock:
            self._deployments[workflow_id] = str(deployment_id)
        # Prefect's scheduler service creates the scheduled runs (its recent-deployments
        # loop picks a new deployment up within seconds). Prefect 3.8.8's
        # POST /deployments/{id}/schedule fails server-side, so it is not called here.
        log.info('workflow "%s" scheduled: %s (%s)%s', workflow_id, cron, tz, "" if enabled else ", paused")

    def _start_due_runs(self, client) -> float | None:
        """Start the scheduled runs that are due; returns the seconds until the next one due
        within a poll (None: none is)."""
        from prefect.client.schemas.filters import (
            FlowRunFilter, FlowRunFilterDeploymentId, FlowRunFilterNextScheduledStartTime, FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        with self._lock:
            ids = {d: w for w, d in self._deployments.items()}
        if not ids:
            return None
        soon = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[UUID(d) for d in ids]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
            next_scheduled_start_time=FlowRunFilterNextScheduledStartTime(
                # Prefect validates a datetime into its own DateTime (a datetime subclass).
                before_=datetime.now(timezone.utc) + timedelta(seconds=POLL_S)),  # type: ignore[arg-type]
        ), limit=50)
        now = datetime.now(timezone.utc)
        next_due_s: float | None = None
        due = []
        for flow_run in soon:
            when = flow_run.next_scheduled_start_time or flow_run.expected_start_time
            wait_s = (when - now).total_seconds() if when is not None else 0.0
            if wait_s > DUE_EARLY_S:
                next_due_s = wait_s if next_due_s is None else min(next_due_s, wait_s)
            else:
                due.append(flow_run)
        self._start(client, due, ids)
        return next_due_s

    def _start(self, client, due: list, ids: dict[str, str]) -> None:
        from prefect.client.schemas.objects import StateType
        from prefect.states import Failed, Pending

        for flow_run in due:
            workflow_id = ids.get(str(flow_run.deployment_id))
            result = client.set_flow_run_state(flow_run.id, Pending())
            if result.state is None or result.state.type != StateType.PENDING:
                continue  # someone else claimed it
            if flow_run.parameters != {"workflow_id": workflow_id}:
                # Our deployments take the workflow id only: a flow run with other parameters
                # (say, an injected `workflow`) was not made by our scheduler. Refuse it visibly.
                log.warning('refused flow run %s of deployment "%s": unexpected parameters %s',
                            flow_run.id, workflow_id, sorted(flow_run.parameters))
                client.set_flow_run_state(flow_run.id, Failed(
                    message="refused by wirework: scheduled runs take only the workflow_id parameter"), force=True)
                continue
            try:
                from engine.model.validation import WorkflowInvalid
                from engine.server.services.labeling_checks import server_problems

                workflow = self.ctx.repo.get(workflow_id)
                problems = server_problems(workflow, self.ctx.labeling, self.ctx.stores)
                if problems:  # e.g. a store it reads was deleted since it was scheduled
                    error = WorkflowInvalid(workflow.id, problems)
                    log.warning("scheduled run %s not started: %s", flow_run.id, error)
                    client.set_flow_run_state(flow_run.id, Failed(message=str(error)[:1000]), force=True)
                    self.request_sync(workflow.id)
                    continue
                when = flow_run.expected_start_time or datetime.now(timezone.utc)
                self.ctx.runs.start_scheduled(workflow, str(flow_run.id), when)
            except Exception as exc:  # this flow run only: the others still start
                log.warning('starting the scheduled run %s of "%s" failed: %s', flow_run.id, workflow_id,
                            _one_line(exc))


def _is_connection_error(exc: BaseException) -> bool:
    """Prefect not answering (refused, reset, timed out, or answering 5xx while it starts)."""
    import httpx

    if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
        return True
    response = getattr(exc, "response", None)
    return isinstance(response, httpx.Response) and response.status_code >= 500
