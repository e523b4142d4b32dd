"""Runs as the API server sees them: start (now, webhook, schedule), record events
from workers, cancel, and settle runs whose worker process ended early.

This is the single writer of run history while a server is up: workers send events
here (through the internal route, or — a run forked by the run host — through the
host's pipe and the launcher, `apply_reports`), and this module writes them to the app
database and publishes them to live subscribers.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import uuid
from collections import Counter, OrderedDict
from datetime import datetime
from typing import Any

import orjson
from stores import NotFound, Unavailable

from engine.server.db.app_db import AppDatabase
from engine.server.db.workflows import WorkflowRepository
from engine.server.services.crash_retry import RetryPlan, retry_plan
from engine.server.services.event_hub import EventHub
from engine.model.workflow import Workflow
from engine.model.runs import NodeResult, RunInfo, trigger_record, utcnow
from engine.model.statuses import ACTIVE_NODE_STATUSES, ACTIVE_RUN_STATUSES, NodeStatus, RunStatus
from engine.server.services.launcher import RunLauncher, WorkerExit
from engine.model.run_scope import scope_of
from engine.server.services.run_tokens import RunTokens
from engine.model.validation import WorkflowInvalid, validate_workflow
from engine.model.run_plan import PartialPlan, PartialRunInvalid, node_inputs, plan_partial
from engine.model.statuses import NODE_STATUSES_WITH_OUTPUT
from engine.model.run_data_files import PART_NUMBER_RULE, is_part_number

log = logging.getLogger("wirework.runs")
ACTIVE_STATUSES = ACTIVE_RUN_STATUSES  # the name other modules import
VALIDATED_KEPT = 256  # workflow documents remembered as valid


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _event_time(data: dict[str, Any]) -> datetime:
    """The `at` of a node_started / run_finished event (workers always send it)."""
    at = _as_datetime(data.get("at"))
    if at is None:
        raise ValueError("the event has no `at` time")
    return at


class RunNotFound(NotFound):
    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return f'no run "{self.run_id}"'


class RunService:
    def __init__(self, db: AppDatabase, hub: EventHub, launcher: RunLauncher | None = None,
                 tokens: RunTokens | None = None, repo: WorkflowRepository | None = None):
        self.db = db
        self.hub = hub
        self.launcher = launcher
        self.tokens = tokens or RunTokens()
        self._valid: OrderedDict[bytes, None] = OrderedDict()  # digests of documents found valid
        self._valid_lock = threading.Lock()
        self.repo = repo  # saved versions, for retrying crashed runs (None: never retried)
        self.run_data: Any = None  # services/run_data.py RunDataService: reused outputs of partial runs
        # services/prefect_settler.py PrefectSettler: ends in Prefect the runs settled here (None: no Prefect)
        self.prefect_settler: Any = None
        # services/prefect_writer.py PrefectWriter: writes Prefect's record of "run" jobs from the
        # events published on the hub (None: their run process runs Prefect's flow engine)
        self.prefect_writer: Any = None
        self._reports = Counter[str]()  # how runs reported, for /api/health (report_counts)
        self._reports_lock = threading.Lock()

    # -- starting runs ---------------------------------------------------------------
    def _ensure_valid(self, workflow: Workflow) -> Workflow:
        """Validate a workflow once per content: a burst of webhooks to one saved version
        validates it once (a digest of its document is the key, so an unsaved document
        with the same id and version is still checked)."""
        document = workflow.model_dump(mode="json")
        key = hashlib.blake2b(orjson.dumps(document, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()
        with self._valid_lock:
            if key in self._valid:
                self._valid.move_to_end(key)
                return workflow
        problems = validate_workflow(workflow)
        if problems:
            raise WorkflowInvalid(workflow.id, problems)
        with self._valid_lock:
            self._valid[key] = None
            if len(self._valid) > VALIDATED_KEPT:
                self._valid.popitem(last=False)
        return workflow

    def start(self, workflow: Workflow, trigger: str, payload: Any = None) -> str:
        self._ensure_valid(workflow)
        run_id = str(uuid.uuid4())
        record = trigger_record(run_id, trigger, payload)
        self._queue(run_id, workflow, record)
        self._launcher().launch(run_id, self._recorded(run_id, workflow, {
            "kind": "run", "workflow": workflow.model_dump(mode="json"), "trigger": record,
            "token": self._issue_token(run_id, workflow)}))
        return run_id

    def start_partial(self, workflow: Workflow, *, start_at: str | None = None, only: str | None = None,
                      reuse_from: str | None = None, payload: Any = None) -> str:
        """A manual run of part of `workflow` (engine/model/run_plan.py): the nodes that feed
        it take their outputs from run `reuse_from`, linked into the new run's data before it
        starts. Without a payload the run gets the reused run's, so a first node that runs
        again sees what it saw then."""
        self._ensure_valid(workflow)
        plan = plan_partial(workflow, start_at=start_at, only=only)
        source = self._reusable_run(workflow, plan, reuse_from)
        if payload is None and source is not None and isinstance(source.get("trigger"), dict):
            payload = source["trigger"].get("payload")
        run_id = str(uuid.uuid4())
        record = trigger_record(run_id, "manual", payload)
        token = self._issue_token(run_id, workflow)
        counts = {n["node_id"]: n["records_in"] for n in (source or {}).get("nodes", []) if n["node_id"] in plan.reuse}
        self._queue(run_id, workflow, record, partial=(reuse_from, start_at, only))
        if source is not None and plan.reuse:
            self.run_data.link_outputs(source["id"], run_id, sorted(plan.reuse))
        self._launcher().launch(run_id, self._recorded(run_id, workflow, {
            "kind": "run", "workflow": workflow.model_dump(mode="json"), "trigger": record, "token": token,
            "partial": {**plan.to_job(), "records_in": counts}}))
        return run_id

    def _reusable_run(self, workflow: Workflow, plan: PartialPlan, reuse_from: str | None) -> dict | None:
        """The run whose outputs a partial run reuses, checked to hold every one it needs."""
        if reuse_from is None:
            if plan.reuse:
                needed = ", ".join(f'"{n}"' for n in sorted(plan.reuse))
                raise PartialRunInvalid(f'workflow "{workflow.id}": give reuse_from, the run whose outputs of '
                                        f"{needed} the nodes before \"{plan.node}\" take")
            return None
        source = self.db.get_run(reuse_from)
        if source is None:
            raise PartialRunInvalid(f'workflow "{workflow.id}": no run "{reuse_from}" to reuse (reuse_from)')
        if source["workflow_id"] != workflow.id:
            raise PartialRunInvalid(f'run "{reuse_from}" is a run of workflow "{source["workflow_id"]}", '
                                    f'not of "{workflow.id}": its outputs cannot be reused here')
        if source["status"] in ACTIVE_RUN_STATUSES:
            raise PartialRunInvalid(f'run "{reuse_from}" of workflow "{workflow.id}" is still {source["status"]}: '
                                    "reuse it once it has ended")
        nodes = {n["node_id"]: n for n in source["nodes"]}
        for node_id in sorted(plan.reuse):
            node = nodes.get(node_id)
            if node is None:
                raise PartialRunInvalid(f'workflow "{workflow.id}": run "{reuse_from}" has no node "{node_id}" '
                                        f'(added since?), whose output "{plan.node}" needs; run the whole workflow')
            if node["status"] not in NODE_STATUSES_WITH_OUTPUT:
                raise PartialRunInvalid(f'workflow "{workflow.id}": node "{node_id}" {node["status"]} in run '
                                        f'"{reuse_from}", so it has no output to reuse; run the whole workflow '
                                        f'or start at "{node_id}"')
            if self.run_data is None or not self.run_data.has_output(reuse_from, node_id):
                raise PartialRunInvalid(f'workflow "{workflow.id}": the output of node "{node_id}" in run '
                                        f'"{reuse_from}" is no longer kept (its run data was pruned); '
                                        "run the whole workflow")
        return source

    def start_scheduled(self, workflow: Workflow, flow_run_id: str, scheduled_time: datetime) -> str:
        run_id = str(uuid.uuid4())
        record = trigger_record(run_id, "schedule", time=scheduled_time)
        token = self._issue_token(run_id, workflow)  # before queueing: an invalid config refuses here
        self._queue(run_id, workflow, record, prefect_flow_run_id=flow_run_id)
        # The saved version travels with the job: a scheduled run never takes its workflow
        # from the Prefect flow run's parameters (anyone who can reach Prefect could set them).
        job = {"trigger": record, "workflow": workflow.model_dump(mode="json"), "token": token}
        if self.prefect_writer is not None:
            # As a run now: nodes on threads of the run process, which never talks to Prefect;
            # the writer records the run on the flow run Prefect's scheduler made.
            self._launcher().launch(run_id, self._recorded(run_id, workflow, {"kind": "run", **job},
                                                           flow_run_id=flow_run_id))
        else:  # Prefect's flow engine in the run process records it (a work pool, RUN_NODES=prefect)
            self._launcher().launch(run_id, {"kind": "flow_run", "flow_run_id": flow_run_id, **job})
        return run_id

    def _launcher(self) -> RunLauncher:
        if self.launcher is None:
            raise Unavailable("this server does not run workflows (it was started without run workers)")
        return self.launcher

    def _recorded(self, run_id: str, workflow: Workflow, job: dict[str, Any],
                  flow_run_id: str | None = None) -> dict[str, Any]:
        """A "run" job whose Prefect record the API writes (services/prefect_writer.py): the
        run process runs its nodes on threads and never talks to Prefect
        (engine/execution/worker.py `records_beside_the_run`). `flow_run_id`: the flow run
        Prefect made of it (a scheduled run), written to rather than created."""
        if self.prefect_writer is None:
            return job
        upstream: dict[str, list[str]] = {node.id: [] for node in workflow.nodes}
        for edge in workflow.edges:
            upstream.setdefault(edge.target, []).append(edge.source)
        self.prefect_writer.register(run_id, workflow.id, [
            (node.id, node.type, node.retries, node.retry_delay_s or 0.0, upstream.get(node.id, []))
            for node in workflow.nodes], flow_run_id=flow_run_id)
        return {**job, "prefect_record": "api"}

    def _issue_token(self, run_id: str, workflow: Workflow) -> str:
        return self.tokens.issue(scope_of(run_id, workflow))

    def _queue(self, run_id: str, workflow: Workflow, trigger: dict, prefect_flow_run_id: str | None = None,
               retry_of: str | None = None, attempt: int = 1,
               partial: tuple[str | None, str | None, str | None] | None = None) -> None:
        # The row exists before the worker reports, so GET /runs/{id} works at once.
        self.db.queue_run(RunInfo(run_id=run_id, workflow_id=workflow.id, workflow_version=workflow.version,
                                  trigger=trigger, node_ids=[n.id for n in workflow.nodes],
                                  prefect_flow_run_id=prefect_flow_run_id, inputs=node_inputs(workflow)),
                          retry_of=retry_of, attempt=attempt, partial=partial)
        self.hub.publish("run_queued", {"run_id": run_id, "workflow_id": workflow.id})

    # -- events from workers -----------------------------------------------------------
    def apply_events(self, run_id: str, events: list[tuple[str, dict[str, Any]]]) -> None:
        """A run process's batch of events, in order, in one transaction (all or nothing),
        published to live subscribers once it is committed."""
        with self.db.transaction():
            published = [self._record_event(run_id, event, data) for event, data in events]
        for event, data in published:
            self.hub.publish(event, data)

    def apply_event(self, run_id: str, event: str, data: dict[str, Any]) -> None:
        self.apply_events(run_id, [(event, data)])

    def count_report(self, kind: str, n: int = 1) -> None:
        with self._reports_lock:
            self._reports[kind] += n

    def report_counts(self) -> dict[str, int]:
        """Event batches and run-data parts received, by way (http, pipe), and pipe reports
        refused: whether forked runs report through their host, for /api/health."""
        with self._reports_lock:
            return dict(self._reports)

    # -- reports of forked runs, through the run host's pipe ---------------------------
    def apply_reports(self, reports: list[dict[str, Any]]) -> None:
        """What forked runs wrote to their run host's pipe, in that order, applied as the
        internal routes apply a request (engine/server/routes/internal.py): each event's
        run_id must be the run's own (the host tagged the report with it), a part's node id
        and number are checked, and a run whose token has ended (its end was applied, or its
        process exited) takes nothing more. A refused report is logged and dropped; it never
        stops the caller (the launcher's reader thread).

        The event batches of all the runs here commit in one transaction (one WAL sync for a
        burst of runs); when one of them is refused, each batch is applied in a transaction
        of its own instead, so each stays all or nothing and the others are kept. Parts are
        written as they come: a part written before its run's end is on disk before that end
        commits, so an ended run's data can be read at once."""
        batches: list[tuple[str, list[tuple[Any, Any]]]] = []
        ending: set[str] = set()  # runs with a run_finished among `batches`
        for report in reports:
            run_id = str(report.get("run_id"))
            if run_id in ending:
                # What follows a run's end counts only if that end was refused: apply first.
                self._apply_batches(batches)
                batches, ending = [], set()
            if not self.tokens.is_live(run_id):
                self._refused(run_id, "the run has ended")
                continue
            if report.get("event") == "part":
                self._store_reported_part(run_id, report)
                continue
            try:
                pairs = [(item["event"], item["data"]) for item in report["events"]]
            except (KeyError, TypeError):
                self._refused(run_id, "expected {events: [{event, data}, …]}")
                continue
            if any(event == "run_finished" for event, _ in pairs):
                ending.add(run_id)  # its token ends with it: nothing after it is taken
            batches.append((run_id, pairs))
        self._apply_batches(batches)

    def _refused(self, run_id: str, why: str) -> None:
        self.count_report("pipe_refused")
        log.warning("run %s: a report from its process was refused: %s", run_id, why)

    def _store_reported_part(self, run_id: str, report: dict[str, Any]) -> None:
        try:
            part, node_id = report["part"], report["node_id"]
            if not is_part_number(part):
                raise ValueError(PART_NUMBER_RULE)
            if self.run_data is None:
                raise ValueError("this server keeps no run data")
            self.run_data.store_part(run_id, str(node_id), part, base64.b64decode(report["data"], validate=True))
        except Exception as exc:  # noqa: BLE001 - bad input from a run: logged, the reader goes on
            self._refused(run_id, f"run data part: {type(exc).__name__}: {exc}")
            return
        self.count_report("pipe_parts")

    def _apply_batches(self, batches: list[tuple[str, list[tuple[Any, Any]]]]) -> None:
        if not batches:
            return
        published: list[tuple[str, dict[str, Any]]] = []
        kept_batches = len(batches)
        try:
            with self.db.transaction():
                for run_id, pairs in batches:
                    published.extend(self._record_event(run_id, event, data) for event, data in pairs)
        except Exception:  # noqa: BLE001 - one refused batch: each is applied on its own below
            published, kept_batches = [], 0
            for run_id, pairs in batches:
                try:
                    with self.db.transaction():
                        kept = [self._record_event(run_id, event, data) for event, data in pairs]
                except Exception as exc:  # noqa: BLE001
                    self._refused(run_id, f"a batch of {len(pairs)} event(s), none of it kept: "
                                          f"{type(exc).__name__}: {exc}")
                    continue
                published.extend(kept)
                kept_batches += 1
        self.count_report("pipe_event_batches", kept_batches)
        self.count_report("pipe_transactions")  # batches per transaction: how much arrived together
        for event, data in published:
            self.hub.publish(event, data)

    def _record_event(self, run_id: str, event: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Write one event; returns what to publish."""
        if not isinstance(data, dict):
            raise ValueError("the event's data must be an object")
        if data.get("run_id") != run_id:
            raise ValueError("the event's run_id does not match the URL")
        if event == "run_started":
            data["started_at"] = _as_datetime(data.get("started_at")) or utcnow()
            status = self.db.run_status(run_id)
            self.db.run_started(RunInfo(**data))
            if status == RunStatus.CANCELLING:
                # Cancelled before its worker got going: it stays `cancelling` until it stops.
                self.db.mark_cancelling(run_id)
                data = {**data, "status": RunStatus.CANCELLING}
        elif event == "node_started":
            self.db.node_started(run_id, data["node_id"], int(data["attempt"]), int(data["records_in"]),
                                 _event_time(data))
        elif event == "node_finished":
            for key in ("started_at", "ended_at"):
                data[key] = _as_datetime(data.get(key))
            self.db.node_finished(NodeResult(**data))
        elif event == "run_finished":
            self.tokens.revoke(run_id)  # nothing is left to do for the run: its token ends before its status shows
            self.db.run_finished(run_id, RunStatus(data["status"]), data.get("error"), _event_time(data))
            if isinstance(data.get("prefect_flow_run_id"), str):  # a run process that names its flow run
                self.db.set_prefect_flow_run(run_id, data["prefect_flow_run_id"])
        else:
            raise ValueError(f"unknown event {event!r}")
        return event, data

    # -- ending runs -----------------------------------------------------------------
    def cancel(self, run_id: str) -> dict[str, Any]:
        """Ask a run to stop and answer at once: an active run is `cancelling` (the worker
        stops it cooperatively, the launcher kills what is left after a short grace), a
        queued one that no worker took is `cancelled` at once, a finished one is as it was."""
        run = self.db.get_run(run_id)
        if run is None:
            raise RunNotFound(run_id)
        if run["status"] not in ACTIVE_RUN_STATUSES:
            return run
        if run["status"] != RunStatus.CANCELLING:
            self.db.mark_cancelling(run_id)
            self.hub.publish("run_cancelling", {"run_id": run_id, "status": RunStatus.CANCELLING})
        if not (self.launcher and self.launcher.cancel(run_id)):
            self.settle(run_id, RunStatus.CANCELLED, "cancelled by user")
        return self.db.get_run(run_id) or run

    def on_worker_exit(self, exit: WorkerExit) -> None:
        self.tokens.revoke(exit.run_id)  # whatever the worker left behind can no longer call us
        if self.db.run_status(exit.run_id) not in ACTIVE_RUN_STATUSES:
            return  # it reported its end (the common case): nothing to settle, no run to read
        if exit.memory_limit_mb is not None:
            self.settle(exit.run_id, RunStatus.FAILED, self._memory_error(exit.run_id, exit.memory_limit_mb))
        elif exit.cancelled:
            self.settle(exit.run_id, RunStatus.CANCELLED, "cancelled by user")
        else:
            self._crashed(exit.run_id, f"the run's worker process exited (code {exit.returncode}) before the run finished")

    def _crashed(self, run_id: str, error: str) -> None:
        """Settle a crashed run, first queueing its retry when its workflow asks for one
        (services/crash_retry.py), so the crashed run's error can name the retry."""
        run = self.db.get_run(run_id)
        plan = None
        if run is not None and run["status"] in ACTIVE_RUN_STATUSES and self.repo is not None and self._launching():
            plan = retry_plan(run, self.repo)
        if plan is None:
            self.settle(run_id, RunStatus.CRASHED, error)
            return
        retry_id = str(uuid.uuid4())
        trigger = self._retry_trigger(retry_id, plan)
        try:
            token = self._issue_token(retry_id, plan.workflow)
        except Exception as exc:  # what the version may reach no longer resolves: no retry
            self.settle(run_id, RunStatus.CRASHED, f"{error}; not started again: {exc}")
            return
        self._queue(retry_id, plan.workflow, trigger, retry_of=run_id, attempt=plan.attempt)
        self.settle(run_id, RunStatus.CRASHED,
                    f"{error}; started again as run {retry_id} (attempt {plan.attempt} of {plan.attempts})")
        log.warning("run %s crashed: started again as run %s (attempt %d of %d)", run_id, retry_id, plan.attempt,
                    plan.attempts)
        try:
            self._launcher().launch(retry_id, self._recorded(retry_id, plan.workflow, {
                "kind": "run", "workflow": plan.workflow.model_dump(mode="json"), "trigger": trigger, "token": token}))
        except Exception as exc:  # the server is stopping, say: the retry never started
            self.tokens.revoke(retry_id)
            self.settle(retry_id, RunStatus.CRASHED, f"the retry could not be started: {exc}")

    @staticmethod
    def _retry_trigger(run_id: str, plan: RetryPlan) -> dict[str, Any]:
        """The crashed run's trigger record under the retry's id: same kind, payload and time.
        A scheduled run's retry runs as a run of its own, not again as the Prefect flow run
        its deployment created (that one ended with the crash)."""
        time = _as_datetime(plan.trigger.get("time"))
        return trigger_record(run_id, plan.trigger["trigger"], plan.trigger.get("payload"), time=time)

    def _launching(self) -> bool:
        """Whether new runs can start: not while the server shuts down (its workers are
        being stopped, which is no crash to retry)."""
        return self.launcher is not None and bool(self.launcher.health().get("ok"))

    def _memory_error(self, run_id: str, limit_mb: int) -> str:
        run = self.db.get_run(run_id) or {"nodes": []}
        running = [n["node_id"] for n in run["nodes"] if n["status"] in (NodeStatus.RUNNING, NodeStatus.RETRYING)]
        where = ", ".join(f'"{node_id}"' for node_id in running) or "none (between nodes)"
        return (f"memory limit of {limit_mb} MB reached in node {where} "
                f"(set WIREWORK_RUN_MEMORY_MB, or the workflow's memory_mb)")

    def settle(self, run_id: str, status: RunStatus, error: str) -> None:
        """Mark a run that never reported its end (`cancelled` or `crashed`); finished runs
        are left as they are. Its unfinished nodes end the same way; pending ones never ran."""
        now = utcnow()
        published: list[tuple[str, dict[str, Any]]] = []
        # One transaction: the check and the writes are one step against a run's own report
        # of its end arriving meanwhile, and one commit (one WAL sync) for the run and its nodes.
        with self.db.transaction():
            run = self.db.get_run(run_id)
            if run is None or run["status"] not in ACTIVE_RUN_STATUSES:
                return
            for node in run["nodes"]:
                if node["status"] in ACTIVE_NODE_STATUSES:
                    node_status = NodeStatus.NOT_RUN if node["status"] == NodeStatus.PENDING else NodeStatus(status)
                    ended_at = None if node_status == NodeStatus.NOT_RUN else now
                    self.db.end_node(run_id, node["node_id"], node_status, ended_at)
                    published.append(("node_finished", {"run_id": run_id, "node_id": node["node_id"],
                                                        "status": node_status}))
            self.db.run_finished(run_id, status, error, now)
        # The writer takes the end from the events published below (it taps the hub).
        recorded = self.prefect_writer is not None and self.prefect_writer.tracks(run_id)
        published.append(("run_finished", {"run_id": run_id, "status": status, "error": error, "at": now}))
        for event, data in published:
            self.hub.publish(event, data)
        log.warning("run %s %s: %s", run_id, status, error)
        if self.prefect_settler is not None and not recorded:  # its process is gone: nothing else ends its flow run
            self.prefect_settler.submit(run_id, status, error, run.get("prefect_flow_run_id"))

    def settle_orphans(self) -> int:
        """At start-up: runs left active by a previous server cannot still be running."""
        run_ids = self.db.active_run_ids()
        for run_id in run_ids:
            self.settle(run_id, RunStatus.CRASHED, "the server stopped while this run was active")
        return len(run_ids)
