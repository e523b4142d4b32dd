"""Running python.map / python.yield over partitions of the input on Dask (`parallelism`).

Owns the parallel path of the two node types: the input is cut into contiguous
partitions (nodes/parallelism.py), each partition is one Prefect task run submitted
through prefect-dask's `DaskTaskRunner`, and the outputs are concatenated in partition
order — the same records, in the same order, as the serial run, because each partition
runs the serial path's own functions (`map_records` / `yield_records`) on its slice.

Where the code runs:
- No `address`: a `distributed.LocalCluster` started for this node, inside the run
  process. Its worker processes are that process's descendants, so they are inside the
  run's bubblewrap sandbox and its memory watch (the launcher sums the whole tree), and a
  cancel, a timeout or the run's end kills them with the rest of the run's tree
  (engine/execution/worker.py, process_tree.py). Workers are forked from a forkserver
  that has Dask, Prefect's task engine and this module imported already: a fresh
  interpreter per worker ("spawn", Dask's default) cost ~2–4 s per worker here, forking
  the run process itself would count its records once per worker in the memory watch
  (RSS of forked pages) and forks a process with live threads. The cluster's
  connections use TLS with a throw-away certificate (`Security.temporary()`): its ports
  are on 127.0.0.1, and without it any local user could submit code to them.
  Measured: the forkserver ~175 MB resident, each worker ~210 MB; the launcher's memory
  watch counts them all (RSS, shared pages again), one worker per partition up to the CPUs.
- An `address`: an existing cluster. The code, the node's declared secrets and the
  records travel to it and run there, outside wirework's sandbox and limits; the
  cluster's workers need wirework installed (they import this module).

Errors: a partition's failure carries the serial path's error (type, user line, record
id) plus the record's index in the *whole* input; the first failing partition in input
order is the one reported, as the serial run would report its first failing record.
What user code prints in a partition comes back and is written to the node's log, in
partition order. Secret values are masked in a partition's error and output before they
leave the worker (Prefect records a failed task's message).
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import os
import sys
import threading
import time
from typing import Any, Iterator

import dask
import distributed
from distributed.security import Security
from distributed.utils import get_mp_context
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext
from prefect_dask import DaskTaskRunner

from .base import NodeContext, NodeError, Record, RunCancelled
from .parallelism import Parallelism, partition_bounds
from .python_nodes import map_records, yield_records
from .secret_values import SecretMask
from .user_code import UserSecrets, load_user_function

MAX_PARTITION_LOG_CHARS = 256_000
POLL_S = 0.02  # how often the node checks for a cancel while partitions run
_setup_lock = threading.Lock()
_forkserver_configured = False


class PartitionJob:
    """What one partition needs on a Dask worker. A plain class on purpose: Prefect walks
    task parameters that are collections or dataclasses (every record, for its dependency
    tracking); this one it passes through untouched."""

    def __init__(self, *, kind: str, code: str, node_id: str, secrets: dict[str, str], records: list[Record],
                 offset: int, number: int, count: int):
        self.kind = kind
        self.code = code
        self.node_id = node_id
        self.secrets = secrets
        self.records = records
        self.offset = offset  # index of this partition's first record in the node's whole input
        self.number = number  # 1-based, for messages
        self.count = count


class PartitionOutput:
    def __init__(self, records: list[Record], logs: str):
        self.records = records
        self.logs = logs


class PartitionFailed(Exception):
    """A partition's user-code error, picklable (it crosses from the Dask worker): the
    serial path's error dict, the record's index in the whole input, and the logs so far."""

    def __init__(self, error: dict[str, Any], index: int | None, number: int, count: int, logs: str):
        super().__init__(error, index, number, count, logs)
        self.error, self.index, self.number, self.count, self.logs = error, index, number, count, logs

    def __str__(self) -> str:
        where = f"partition {self.number} of {self.count}"
        if self.index is not None:
            where = f"input record index {self.index}, {where}"
        return f'node "{self.error.get("node")}" ({where}): {self.error.get("message")}'


class _ThreadOutput(io.TextIOBase):
    """Stands in for sys.stdout/stderr on a Dask worker: what the thread running a
    partition prints goes to that partition's buffer (a worker may run several threads)."""

    def __init__(self, original: Any):
        self.original = original
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer = getattr(self.local, "buffer", None)
        if buffer is None:
            return self.original.write(text)
        if buffer.tell() < MAX_PARTITION_LOG_CHARS:
            buffer.write(text)
        return len(text)

    def flush(self) -> None:
        if getattr(self.local, "buffer", None) is None:
            self.original.flush()

    @property
    def encoding(self):  # unannotated as in engine/execution/node_logs.py: TextIOBase declares an attribute
        return getattr(self.original, "encoding", "utf-8")


@contextlib.contextmanager
def _captured_output() -> Iterator[io.StringIO]:
    streams = []
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, _ThreadOutput):
            stream = _ThreadOutput(stream)
            setattr(sys, name, stream)
        streams.append(stream)
    buffer = io.StringIO()
    for stream in streams:
        stream.local.buffer = buffer
    try:
        yield buffer
    finally:
        for stream in streams:
            stream.local.buffer = None


def run_partition(job: PartitionJob) -> PartitionOutput:
    """Body of a partition's Prefect task, on a Dask worker: the serial path's function
    over this slice, with the failing record's position tracked for the error."""
    mask = SecretMask()
    for value in job.secrets.values():
        mask.add_secret(value)
    position = -1

    def tracked() -> Iterator[Record]:
        nonlocal position
        for position, record in enumerate(job.records):  # noqa: B007 (read by the handler below)
            yield record

    with _captured_output() as output:
        try:
            fn = load_user_function(job.code, job.node_id, secrets=UserSecrets(job.secrets, job.node_id))
            if job.kind == "map":
                records = map_records(fn, tracked())
            else:
                records = yield_records(fn, tracked(), lambda: None)
        except Exception as exc:
            error = exc.to_dict() if isinstance(exc, NodeError) else {
                "type": type(exc).__name__, "message": f"{type(exc).__name__}: {exc}", "node": job.node_id,
                "record_id": None, "line": None, "source_line": None}
            error["node"] = error.get("node") or job.node_id
            if mask:
                error = {key: mask.text(value) if isinstance(value, str) and key != "node" else value
                         for key, value in error.items()}
            index = job.offset + position if position >= 0 else None
            raise PartitionFailed(error, index, job.number, job.count, mask.text(output.getvalue())) from None
    return PartitionOutput(records, mask.text(output.getvalue()))


partition_task = task(name="partition", cache_policy=NO_CACHE, persist_result=False, log_prints=False)(run_partition)


def _configure_forkserver() -> None:
    """Workers start as forks of a forkserver holding the imports a partition needs (see the
    module docstring). Set once per process, before the forkserver first starts."""
    global _forkserver_configured
    with _setup_lock:
        if _forkserver_configured:
            return
        # No HTTP routes on the scheduler and workers: nothing of the dashboard's (task and
        # worker details, plain HTTP) is needed, and its listener is one open port less.
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver",
                         "distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []})
        preload = ["distributed", "prefect.task_engine", "prefect_dask", __name__]
        flow_context = FlowRunContext.get()
        if flow_context is not None and flow_context.flow is not None:
            # The flow object travels with every task's context; its module is imported on the worker.
            preload.append(flow_context.flow.fn.__module__)
        get_mp_context().set_forkserver_preload(preload)
        # The scheduler runs in this process: its INFO lines (workers joining and leaving)
        # would land on the console of the run host; the workers get `silence_logs`.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        # A scheduler's start imports its dashboard, which fails without bokeh (not
        # installed: no dashboard). Two nodes starting clusters at once on parallel
        # branches raced on that import and one failed with "module 'distributed.dashboard'
        # has no attribute 'scheduler'"; tried once here, every later start sees the same answer.
        with contextlib.suppress(ImportError):
            import distributed.dashboard.scheduler  # noqa: F401
        _forkserver_configured = True


def _task_runner(option: Parallelism, partitions: int) -> tuple[DaskTaskRunner, str]:
    if option.address is not None:
        return DaskTaskRunner(address=option.address), f"the Dask cluster at {option.address}"
    _configure_forkserver()
    workers = max(1, min(partitions, len(os.sched_getaffinity(0))))
    security = Security.temporary()
    cluster = {"n_workers": workers, "threads_per_worker": 1, "processes": True, "host": "127.0.0.1",
               "dashboard_address": "127.0.0.1:0", "memory_limit": 0,  # the run's own memory limit covers the tree
               "silence_logs": logging.ERROR, "security": security, "protocol": "tls://"}
    runner = DaskTaskRunner(cluster_kwargs=cluster, client_kwargs={"security": security})
    return runner, f"a local Dask cluster of {workers} worker process(es)"


def _submit_all(runner: DaskTaskRunner, jobs: list[PartitionJob]) -> list[Any]:
    # Submitted without the node's own task-run context: Prefect sends the current task
    # run's parameters with every task it submits, and the node task's parameter is the
    # whole run (every node's records, the run's store client). The partitions become
    # task runs of the flow run instead of children of the node's task run.
    def submit() -> list[Any]:
        TaskRunContext.__var__.set(None)  # type: ignore[arg-type]
        return [runner.submit(partition_task.with_options(task_run_name=f"{job.node_id}[{job.number}/{job.count}]"),
                              parameters={"job": job}) for job in jobs]

    return contextvars.copy_context().run(submit)


def _result_of(future: Any, ctx: NodeContext) -> PartitionOutput:
    """Wait for one partition, stopping at once if the run is cancelled."""
    while not future.wrapped_future.done():
        if ctx.cancel_event.wait(POLL_S):
            ctx.check_cancelled()
    return future.result()


def run_in_partitions(ctx: NodeContext, kind: str, code: str, secrets: UserSecrets, option: Parallelism,
                      records: list[Record]) -> list[Record]:
    """The node's output, computed partition by partition on Dask (see the module docstring)."""
    if not records:
        return []
    started = time.monotonic()
    bounds = partition_bounds(len(records), option.partitions)
    values = {name: secrets[name] for name in secrets}
    jobs = [PartitionJob(kind=kind, code=code, node_id=ctx.node_id, secrets=values, records=records[start:stop],
                         offset=start, number=number, count=len(bounds))
            for number, (start, stop) in enumerate(bounds, start=1)]
    runner, where = _task_runner(option, len(jobs))
    out: list[Record] = []
    with runner:
        futures = _submit_all(runner, jobs)
        for job, future in zip(jobs, futures):
            try:
                part = _result_of(future, ctx)
            except PartitionFailed as failed:
                print(failed.logs, end="")
                raise _node_error(ctx, failed) from None
            except (NodeError, RunCancelled):
                raise
            except Exception as exc:  # the partition never returned: its worker died, the cluster is gone…
                raise NodeError(f"partition {job.number} of {job.count} (input records {job.offset}–"
                                f"{job.offset + len(job.records) - 1}) did not finish on {where}: "
                                f"{type(exc).__name__}: {exc}", node_id=ctx.node_id,
                                exception_type=type(exc).__name__) from None
            print(part.logs, end="")  # into the node's log (the engine routes this thread's output)
            out.extend(part.records)
    ctx.logger.info("%s %d records in %d partitions on %s: %d records out in %.2f s", kind, len(records),
                    len(jobs), where, len(out), time.monotonic() - started)
    return out


def _node_error(ctx: NodeContext, failed: PartitionFailed) -> NodeError:
    error = failed.error
    where = f"partition {failed.number} of {failed.count}"
    if failed.index is not None:
        where = f"input record index {failed.index}, {where}"
    return NodeError(f'{error.get("message")} ({where}; workflow "{ctx.workflow_id}")', node_id=ctx.node_id,
                     record_id=error.get("record_id"), user_line=error.get("line"),
                     source_line=error.get("source_line"), exception_type=error.get("type"))
