"""The Prefect executor: one flow run (`run_graph`) per workflow run, one task per node.

Records never pass through Prefect: a node's output stays in this process
(`ActiveRun.outputs`) and downstream tasks wait on their upstream futures with
`wait_for`. That keeps Prefect's per-task cost flat (no hashing or walking of 100k
records for caching or dependency tracking) while the Prefect server still sees the
real task graph, states, retries and timings.

An output is a `RecordSpool` (engine/execution/record_spool.py): batches of up to 10,000
records, in memory up to `WIREWORK_SPILL_MB` and in the run's scratch folder beyond, fed
batch by batch to the run data writer as the node produces them. A node receives its
input as batches (`NodeType.run_batches`); once every consumer of an output has finished,
the output is dropped, so a run holds on disk at most the outputs still to be read and in
memory at most a few batches beyond the spill limits.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Protocol

import orjson
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, get_run_context
from prefect.futures import PrefectFuture, wait
from prefect.states import Cancelled, State

from nodes import NodeContext, NodeError, NodeRegistry, NodeType, Record, RunCancelled, default_registry, error_text
from nodes.secret_values import SecretMask
from stores.client import StoreClient, StoreSecrets

from engine.execution import node_logs, process_tree
from engine.execution.deadline import NodeTimeout, call_with_deadline
from engine.model.workflow import DEFAULT_NODE_TIMEOUT_S, Workflow, parse_workflow
from engine.execution.record_spool import BATCH_RECORDS, RecordBatches, RecordSpool, RunScratch, chunks, decode_lines
from engine.execution.run_data import RunDataSink, RunDataWriter
from engine.execution.run_events import SAMPLE_SIZE, ObserverGroup, RunObserver
from engine.model import json_bytes
from engine.model.run_plan import node_inputs
from engine.model.runs import NodeResult, RunInfo, trigger_record, utcnow
from engine.model.statuses import NodeStatus, RunStatus
from engine.model.validation import build_graph, ensure_valid, instantiate


class WorkflowRunFailed(Exception):
    """Raised at the end of `run_graph` so Prefect marks the flow run Failed."""


@dataclass
class RunEnvironment:
    """What a run needs from its host process: where events go and how stores are reached."""

    observer: RunObserver
    store_client: StoreClient | None = None
    secrets: StoreSecrets | None = None
    registry: NodeRegistry = field(default_factory=default_registry)
    # Loads a saved workflow by id (deployment runs pass only the id).
    load_workflow: Callable[[str], Workflow] | None = None
    # The job's workflow document and trigger record, handed over in-process rather than
    # as flow-run parameters: Prefect stores parameters, and code in any run can reach
    # Prefect's API, so another workflow's definition or webhook payload must not be there.
    workflow: dict | None = None
    trigger: dict | None = None
    # Wraps the execution of a run's nodes, in the flow's own thread: the worker turns
    # SIGTERM into the run's cancellation there (engine/execution/worker.py).
    run_scope: Callable[["ActiveRun"], ContextManager[None]] | None = None
    # Where every node's output is kept (engine/execution/run_data.py); None: nowhere.
    run_data: RunDataSink | None = None
    # A partial run (engine/model/run_plan.py PartialPlan.to_job()): which nodes execute,
    # which take their output from this run's data (the API linked it there from the run
    # reused), which do not run. None: every node executes.
    partial: dict | None = None
    # The API validated this very document before it launched the run (services/runs.py):
    # the run process does not validate it again (~12 ms of a forked run's start).
    validated: bool = False


_environment_lock = threading.Lock()
_environment: RunEnvironment | None = None


def set_environment(environment: RunEnvironment | None) -> None:
    global _environment
    with _environment_lock:
        _environment = environment


def current_environment() -> RunEnvironment:
    if _environment is None:
        raise RuntimeError("no wirework run environment is set in this process (see engine.runner)")
    return _environment


def snapshot(records: list[Record], limit: int = SAMPLE_SIZE) -> list[Record]:
    """A detached copy of the first records, safe to store after the run mutates them."""
    try:
        return orjson.loads(json_bytes.dumps(records[:limit]))  # an int beyond 64 bits becomes its digits
    except TypeError:  # e.g. a record that contains itself: the preview says so, the node still ends
        return [{"not_json": repr(record)[:2000]} for record in records[:limit]]


def _copy_records(records: list[Record]) -> list[Record]:
    try:
        return orjson.loads(orjson.dumps(records))
    except TypeError:  # not JSON-able (e.g. a set): fall back to a slow exact copy
        return copy.deepcopy(records)


class ActiveRun:
    """State of one run inside its flow-run process. A plain class on purpose: Prefect
    walks task parameters that are collections/dataclasses, and this must stay opaque."""

    def __init__(self, run_id: str, workflow: Workflow, trigger: Record, env: RunEnvironment):
        self.run_id = run_id
        self.workflow = workflow
        self.trigger = trigger
        self.env = env
        self.graph = build_graph(workflow)
        self.specs = {node.id: node for node in workflow.nodes}
        self.outputs: dict[tuple[str, str], RecordBatches] = {}  # (producer, consumer) -> its reader
        self.final_outputs: dict[str, RecordSpool] = {}  # outputs of nodes with no consumer (their counts)
        self.scratch = RunScratch(run_id)
        self.attempts: dict[str, int] = {}
        self.first_started: dict[str, Any] = {}
        self.finished: set[str] = set()
        self.running: set[str] = set()  # nodes whose code runs right now (for a timeout's cleanup)
        # Set when the run is cancelled; every node's context holds it, so a node that
        # calls `ctx.check_cancelled()` stops with RunCancelled (see `cancel`).
        self.cancel_event = threading.Event()
        self.lock = threading.Lock()
        self.success_actions: dict[str, list] = {}  # node id -> actions of its last successful attempt
        # Every secret any node of this run resolved: a value a node passes on in its records
        # is masked in what downstream nodes leave behind (error, logs, sample) too.
        self.mask = SecretMask()
        self.data = RunDataWriter(run_id, env.run_data, self.mask) if env.run_data is not None else None
        # Pinned nodes emit their records in manual runs; in scheduled and webhook runs only
        # when the workflow opts in.
        self.use_pins = trigger.get("trigger") == "manual" or workflow.pins_in_triggered_runs

    def cancel(self) -> None:
        """Ask the run to stop: nodes that check stop with RunCancelled, nodes not yet
        started do not start, and nothing is retried."""
        self.cancel_event.set()

    def consumers_of(self, node_id: str) -> list[str]:
        return [t for _, t, _ in sorted(self.graph.out_edges(node_id, data=True), key=lambda e: e[2]["order"])]

    def inputs_of(self, node_id: str) -> RecordBatches:
        """Fan-in: concatenation of upstream outputs in edge order; roots get the trigger."""
        upstream = sorted(self.graph.in_edges(node_id, data=True), key=lambda e: e[2]["order"])
        if not upstream:
            return RecordBatches.of([dict(self.trigger)])
        if len(upstream) == 1:
            return self.outputs[(upstream[0][0], node_id)]
        return RecordBatches.concat(self.outputs[(source, node_id)] for source, _, _ in upstream)

    def new_output(self, node_id: str, keep: bool = True) -> tuple[RecordSpool, list[Record]]:
        """An empty output of `node_id` for its consumers, fed to the run data as it fills
        (unless `keep` is false); and the list its sample is gathered in (a detached copy
        of its first records, taken as they are put)."""
        sample: list[Record] = []
        feed = self.data.output(node_id) if keep and self.data is not None else None

        def on_batch(records: list[Record] | None, lines: bytes | None, count: int) -> None:
            if feed is not None:
                feed.add(records, lines)
            if len(sample) < SAMPLE_SIZE:
                wanted = SAMPLE_SIZE - len(sample)
                if lines is not None:
                    sample.extend(decode_lines(b"\n".join(lines.split(b"\n", wanted)[:wanted])))
                else:
                    sample.extend(snapshot(records or [], wanted))

        spool = RecordSpool(self.scratch, node_id, len(self.consumers_of(node_id)), on_batch=on_batch)
        spool.feed = feed
        return spool, sample

    def fill(self, spool: RecordSpool, output: Any, inputs: RecordBatches | None) -> None:
        """Put a node's output (what `run_batches` returned) into its spool. The input
        itself returned (passed on unchanged): its batches are copied without decoding."""
        if output is inputs and inputs is not None:
            for records, lines, count in inputs.raw():
                if lines is not None:
                    spool.put_lines(lines, count)
                else:
                    spool.put(records or [])
            return
        for batch in output:
            if not isinstance(batch, list):
                batch = list(batch)
            for part in chunks(batch, BATCH_RECORDS):
                spool.put(part)

    def shortcut(self, node_id: str) -> tuple[NodeStatus, Any] | None:
        """The output of a node that does not run its code: a disabled node passes its input
        through, a pinned one emits (a copy of) its pinned records; None: it runs."""
        spec = self.specs[node_id]
        if spec.disabled:
            return NodeStatus.SKIPPED, None
        if spec.pinned is not None and self.use_pins:
            return NodeStatus.PINNED, [_copy_records(spec.pinned)]
        return None

    def publish(self, node_id: str, spool: RecordSpool) -> None:
        """Hand a node's output to each consumer, through a reader of its own: consumers
        after the first get their own copy of each batch, so a map that mutates records in
        place cannot leak into a sibling branch."""
        if spool.feed is not None:
            spool.feed.end()
        consumers = self.consumers_of(node_id)
        if not consumers:
            self.final_outputs[node_id] = spool  # holds no records: `len` is its count
        for index, consumer in enumerate(consumers):
            self.outputs[(node_id, consumer)] = spool.reader(index)

    def discard(self, spool: RecordSpool) -> None:
        """A failed attempt's output: never published, its memory and file go now."""
        if spool.feed is not None:
            spool.feed.discard()
        spool.close()

    def done_with_inputs(self, node_id: str) -> None:
        """The node will not read its input again (it succeeded, or failed for good)."""
        for source, _ in list(self.graph.in_edges(node_id)):
            reader = self.outputs.pop((source, node_id), None)
            if reader is not None:
                reader.release()


def _execute_node(active: ActiveRun, node_id: str) -> int:
    """Body of the Prefect task for one node: runs the node and reports what happened."""
    spec = active.specs[node_id]
    env = active.env
    with active.lock:
        attempt = active.attempts.get(node_id, 0) + 1
        active.attempts[node_id] = attempt
    if active.cancel_event.is_set():  # cancelled before this node started: it never runs
        env.observer.node_finished(NodeResult(run_id=active.run_id, node_id=node_id, status=NodeStatus.NOT_RUN,
                                              error=None, logs=""))
        raise RunCancelled(f'run {active.run_id} was cancelled before node "{node_id}" started')
    inputs = active.inputs_of(node_id)
    records_in = len(inputs)
    started = utcnow()
    active.first_started.setdefault(node_id, started)
    env.observer.node_started(active.run_id, node_id, attempt, records_in, started)

    log = node_logs.NodeLog()
    logger = node_logs.node_logger(node_id)
    ctx = NodeContext(
        workflow_id=active.workflow.id, run_id=active.run_id, node_id=node_id, logger=logger,
        trigger=active.trigger, store_client=env.store_client, secrets=env.secrets,
        cancel_event=active.cancel_event, mask=active.mask,
    )
    shortcut = active.shortcut(node_id)
    if shortcut is not None:
        return _finish_without_running(active, node_id, attempt, inputs, *shortcut)
    node: NodeType = instantiate(env.registry.get(spec.type), node_id, spec.config)
    spool, sample = active.new_output(node_id)
    try:
        with node_logs.capture(log):
            _run_with_deadline(active, node_id, lambda: active.fill(spool, node.run_batches(ctx, inputs), inputs),
                               spec.timeout_s or DEFAULT_NODE_TIMEOUT_S, log)
    except Exception as exc:
        active.discard(spool)
        cancelled = isinstance(exc, RunCancelled) or active.cancel_event.is_set()
        final = cancelled or attempt > spec.retries
        if final:
            active.done_with_inputs(node_id)
        if isinstance(exc, NodeError):
            exc.node_id = exc.node_id or node_id
            error = exc.to_dict()
        else:
            error = {"type": type(exc).__name__, "message": str(exc), "node": node_id,
                     "record_id": None, "line": None, "source_line": None}
        mask = ctx.mask
        if mask:
            error = _masked_error(error, mask)
        if not final:
            log.write(f"attempt {attempt} failed: {error_text(error)}; retrying\n")
        env.observer.node_finished(NodeResult(
            run_id=active.run_id, node_id=node_id,
            status=NodeStatus.CANCELLED if cancelled else NodeStatus.FAILED if final else NodeStatus.RETRYING,
            attempts=attempt, started_at=active.first_started[node_id], ended_at=utcnow(),
            records_in=records_in, logs=mask.text(log.text()) if mask else log.text(), error=error,
        ))
        if mask:
            # Prefect keeps the exception's text as the task and flow state message (and logs
            # its traceback, causes included): what leaves the task is the masked error only.
            raise NodeError(error["message"], node_id=node_id, record_id=error.get("record_id"),
                            user_line=error.get("line"), source_line=error.get("source_line"),
                            exception_type=error["type"]) from None
        if isinstance(exc, (NodeError, NodeTimeout, RunCancelled)):
            raise
        raise NodeError(f"{type(exc).__name__}: {exc}", node_id=node_id, exception_type=type(exc).__name__) from exc
    active.publish(node_id, spool)
    active.done_with_inputs(node_id)
    with active.lock:
        active.finished.add(node_id)
        active.success_actions[node_id] = list(ctx.success_actions)
    # Output records themselves are not masked (a node may pass a secret on on purpose,
    # e.g. to a header); what the run keeps of them — the sample — is. Empty mask: no cost.
    if spool.spilled_batches:
        log.write(f"output: {spool.count} records, {spool.spilled_batches} batch(es) spilled to disk "
                  f"(beyond WIREWORK_SPILL_MB)\n")
    mask = ctx.mask
    logs = log.text()
    if mask:
        sample, logs = mask.value(sample), mask.text(logs)
    env.observer.node_finished(NodeResult(
        run_id=active.run_id, node_id=node_id, status=NodeStatus.COMPLETED, attempts=attempt,
        started_at=active.first_started[node_id], ended_at=utcnow(), records_in=records_in,
        records_out=spool.count, sample=sample, logs=logs,
    ))
    return spool.count


def _finish_without_running(active: ActiveRun, node_id: str, attempt: int, inputs: RecordBatches,
                            status: NodeStatus, output: Any) -> int:
    """A skipped (disabled: `output` None, its input passed on) or pinned node: its output
    is published and kept like any other, it has no success actions, no logs and nothing
    to retry."""
    spool, sample = active.new_output(node_id)
    active.fill(spool, inputs if output is None else output, inputs)
    active.publish(node_id, spool)
    active.done_with_inputs(node_id)
    with active.lock:
        active.finished.add(node_id)
        active.success_actions[node_id] = []
    active.env.observer.node_finished(NodeResult(
        run_id=active.run_id, node_id=node_id, status=status, attempts=attempt,
        started_at=active.first_started[node_id], ended_at=utcnow(), records_in=len(inputs),
        records_out=spool.count, sample=active.mask.value(sample) if active.mask else sample, logs="",
    ))
    return spool.count


def _reuse_outputs(active: ActiveRun, reused: list[str], counts: dict[str, int]) -> None:
    """A partial run's reused nodes: their outputs, read back from this run's data (linked
    there by the API from the run they come from) batch by batch, published as if they had
    just run (not kept again: they are in this run's data already)."""
    env = active.env
    for node_id in reused:
        if env.run_data is None:
            raise RuntimeError("this process keeps no run data: it cannot reuse outputs of an earlier run")
        spool, sample = active.new_output(node_id, keep=False)
        batch: list[bytes] = []
        for line in env.run_data.output_lines(active.run_id, node_id):
            batch.append(line)
            if len(batch) >= BATCH_RECORDS:
                spool.put_lines(b"\n".join(batch), len(batch))
                batch = []
        spool.put_lines(b"\n".join(batch), len(batch))
        active.publish(node_id, spool)
        with active.lock:
            active.finished.add(node_id)
        env.observer.node_finished(NodeResult(
            run_id=active.run_id, node_id=node_id, status=NodeStatus.REUSED, records_in=counts.get(node_id, 0),
            records_out=spool.count, sample=active.mask.value(sample) if active.mask else sample, logs="",
        ))


def _run_with_deadline(active: ActiveRun, node_id: str, fn: Callable[[], Any], timeout_s: float,
                       log: node_logs.NodeLog) -> Any:
    """The node's code under its time limit. At a timeout its abandoned thread may have
    left processes running (a `subprocess.Popen`, a shell's `setsid … &`): those started
    since the node began are killed now when no other node of the run is running — with
    nodes in parallel they cannot be told apart, so they go with the run's end
    (engine/execution/worker.py kills the whole tree then)."""
    since = process_tree.start_ticks()
    with active.lock:
        active.running.add(node_id)
    try:
        return call_with_deadline(fn, timeout_s, f'node "{node_id}"')
    except NodeTimeout:
        with active.lock:
            alone = active.running == {node_id}
        if alone:
            left = process_tree.started_after(os.getpid(), since)
            for pid in left:
                process_tree.kill_tree(pid)
            if left:
                log.write(f"stopped {len(left)} process(es) the node left running at its timeout\n")
        raise
    finally:
        with active.lock:
            active.running.discard(node_id)


def _masked_error(error: dict[str, Any], mask: Any) -> dict[str, Any]:
    """The error dict with the run's secrets masked in its texts (node id and line kept)."""
    masked = dict(error)
    for key in ("message", "source_line", "type", "record_id"):
        if isinstance(masked.get(key), str):
            masked[key] = mask.text(masked[key])
    return masked


node_task = task(name="node", cache_policy=NO_CACHE, persist_result=False, log_prints=False)(_execute_node)


class NodeRunner(Protocol):
    """How a run's nodes are executed: as Prefect tasks of the flow run (`PrefectTasks`,
    inside `run_graph`) or on threads of the run process with Prefect's record written
    beside them (engine/execution/direct_run.py)."""

    submitted: dict[str, Any]  # node id -> its handle, in submission (topological) order

    def submit(self, active: ActiveRun, node_id: str, upstream: list[str]) -> None: ...

    def wait(self) -> list[str]:
        """Wait for every submitted node; the ids of those that failed (or crashed)."""
        ...


class PrefectTasks:
    """Each node a Prefect task, submitted to the flow's task runner, waiting on its upstreams."""

    def __init__(self) -> None:
        self.submitted: dict[str, PrefectFuture] = {}

    def submit(self, active: ActiveRun, node_id: str, upstream: list[str]) -> None:
        def retry_unless_cancelled(task: Any, task_run: Any, state: Any) -> bool:
            return not active.cancel_event.is_set()  # a cancelled run never retries a node

        spec = active.specs[node_id]
        self.submitted[node_id] = node_task.with_options(
            name=f"node:{spec.type}", task_run_name=node_id, retries=spec.retries,
            retry_delay_seconds=spec.retry_delay_s, retry_condition_fn=retry_unless_cancelled,
        ).submit(active, node_id, wait_for=[self.submitted[p] for p in upstream], return_state=False)

    def wait(self) -> list[str]:
        wait(list(self.submitted.values()))
        return [nid for nid, fut in self.submitted.items() if fut.state.is_failed() or fut.state.is_crashed()]


@flow(name="run_graph", persist_result=False, log_prints=False, validate_parameters=False)
def run_graph(workflow_id: str, workflow: dict | None = None, trigger: dict | None = None,
              run_id: str | None = None) -> dict[str, Any] | State[Any]:
    """Run one workflow version: tasks in topological order, each waiting on its upstreams."""
    context = get_run_context()
    prefect_run = context.flow_run if isinstance(context, FlowRunContext) else None
    run_id, status, error, outputs = execute_workflow(
        workflow_id, workflow, trigger, run_id, PrefectTasks(), str(prefect_run.id) if prefect_run else None)
    if status == RunStatus.CANCELLED:
        return Cancelled(message=f'workflow "{workflow_id}" run {run_id}: {error}')  # the flow run's own state
    if status == RunStatus.FAILED:
        raise WorkflowRunFailed(f'workflow "{workflow_id}" run {run_id}: {error}')
    return {"run_id": run_id, "status": status, "outputs": outputs}


def execute_workflow(workflow_id: str, workflow: dict | None, trigger: dict | None, run_id: str | None,
                     runner: NodeRunner, prefect_flow_run_id: str | None = None
                     ) -> tuple[str, RunStatus, str | None, dict[str, int]]:
    """Run one workflow version with `runner`, reporting to the environment's observer:
    (run id, status, error, records out of each node with no consumer). Raises
    WorkflowRunFailed when a partial run's reused outputs cannot be read (reported)."""
    env = current_environment()
    workflow = workflow if workflow is not None else env.workflow
    trigger = trigger if trigger is not None else env.trigger
    model = parse_workflow(workflow, source=workflow_id) if workflow is not None else _load_saved(env, workflow_id)
    if not env.validated:
        ensure_valid(model, env.registry)
    run_id = run_id or str(uuid.uuid4())
    record = dict(trigger or trigger_record(run_id, "manual"))
    active = ActiveRun(run_id, model, record, env)
    env.observer.run_started(RunInfo(
        run_id=run_id, workflow_id=model.id, workflow_version=model.version, trigger=record,
        node_ids=[n.id for n in model.nodes], prefect_flow_run_id=prefect_flow_run_id,
        inputs=node_inputs(model),
    ))
    partial = env.partial
    executed = set(partial["execute"]) if partial else set(active.specs)
    node_logs.install()
    import networkx as nx

    with env.run_scope(active) if env.run_scope is not None else contextlib.nullcontext():
        order = list(nx.lexicographical_topological_sort(active.graph, key=_order_key(model)))
        if partial:
            try:
                _reuse_outputs(active, [n for n in order if n in set(partial["reuse"])],
                               partial.get("records_in") or {})
            except Exception as exc:  # e.g. the reused data went missing since the run was started
                reuse_error = f"the outputs to reuse could not be read: {type(exc).__name__}: {exc}"
                env.observer.run_finished(run_id, RunStatus.FAILED, reuse_error, utcnow())
                raise WorkflowRunFailed(f'workflow "{model.id}" run {run_id}: {reuse_error}') from None
            for node_id in partial["not_run"]:
                env.observer.node_finished(NodeResult(run_id=run_id, node_id=node_id, status=NodeStatus.NOT_RUN))
        for node_id in order:
            if node_id not in executed:
                continue
            runner.submit(active, node_id, [p for p in active.graph.predecessors(node_id) if p in runner.submitted])
        failed = runner.wait()

    futures = runner.submitted
    for node_id in futures:
        if node_id not in active.finished and node_id not in failed:
            # Never ran: an upstream node failed (Prefect state NotReady).
            env.observer.node_finished(NodeResult(run_id=run_id, node_id=node_id, status=NodeStatus.NOT_RUN,
                                                  error=None, logs=""))
    status = RunStatus.FAILED if failed else RunStatus.COMPLETED
    error = f"node(s) failed: {', '.join(failed)}" if failed else None
    if failed and active.cancel_event.is_set():  # what failed, failed because the run was cancelled
        stopped = [nid for nid in failed if nid in active.first_started]
        status, error = RunStatus.CANCELLED, f"cancelled while node(s) ran: {', '.join(stopped) or 'none'}"
    if not failed:
        try:
            for node_id in futures:
                for action in active.success_actions.get(node_id, []):
                    action()
        except Exception as exc:  # e.g. the store is gone: the run must not count as done
            status, error = RunStatus.FAILED, f'finishing node "{node_id}" failed: {type(exc).__name__}: {exc}'
            failed = [node_id]
    if active.data is not None:
        active.data.close()  # all of the run's data is stored before its end is reported
    env.observer.run_finished(run_id, status, error, utcnow())
    return run_id, status, error, {nid: len(records) for nid, records in active.final_outputs.items()}


def _order_key(workflow: Workflow):
    positions = {node.id: index for index, node in enumerate(workflow.nodes)}
    return lambda node_id: f"{positions[node_id]:08d}"


def _load_saved(env: RunEnvironment, workflow_id: str) -> Workflow:
    if env.load_workflow is None:
        raise RuntimeError(f'workflow "{workflow_id}" was not given and this process cannot load saved workflows')
    return env.load_workflow(workflow_id)
