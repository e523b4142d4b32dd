"""The run host: a forkserver that pays Python's, Prefect's and the node types' import
cost once and forks one child process per run (`python -m engine.execution.run_host`).

Why a forkserver and not a pool of long-lived workers: a fresh process per run costs
~1.1 s of CPU for the imports alone, which capped a 2-core machine near 1.5 runs/s; a
fork of a warmed-up process costs a few milliseconds, and every run still gets a process
of its own — module globals a run mutates, memory it leaks, threads it leaves and
processes it starts all end with it, and cancel still kills its process group. A pool
that runs many runs per process would save the same imports but lose that isolation.

The host runs inside the same sandbox the per-run workers ran in (the launcher wraps
its command), so every run it forks is sandboxed too. It stays single-threaded — a fork
copies only the calling thread, so a lock held by another thread would stay locked in
the child forever — and does all its work in one select loop over its command pipe and
a SIGCHLD wake-up pipe.

Protocol, one JSON object per line:
- stdin (launcher → host): `{"op": "run", "run_id", "job", "reports"}` — fork a child
  that runs the job (engine/execution/worker.py's job lines), reporting through this host
  when `reports` is true (else over HTTP: a remote worker's launcher has no RunService to
  hand reports to); `{"op": "exit"}`.
- the control pipe (host → launcher; the host's original stdout, kept on a private fd
  while fd 1 is pointed at stderr, so a node's `print` can never corrupt it):
  `{"event": "ready", "pid"}`, `{"event": "started", "run_id", "pid"}` (pid as this
  process's PID namespace numbers it: the launcher maps it to its own view) and
  `{"event": "exited", "run_id", "returncode"}` (negative: killed by that signal);
  and what each run reports (below): `{"event": "report", "run_id", "events": [...]}`,
  `{"event": "part", "run_id", "node_id", "part", "data"}`.

Reports (issue 15): each child gets a pipe of its own (O_CLOEXEC, so what user code
execs does not inherit it) on which it writes its events and small run-data parts
(engine/client/pipe_reporting.py) instead of sending them to the API over HTTP. The host
reads every child's pipe in its select loop, parses each line and writes a new one to
the control pipe with only the fields it expects and the run id *it* knows for that
child — user code in the child can write to that fd, so nothing on the line, least of
all a run id, is taken as the envelope. A malformed or oversized line is logged and
dropped. When a child is reaped, what is left in its pipe is read before its `exited`
is emitted: everything a run wrote arrives before its exit.

Each child: its own session (the launcher signals the run's process group), killed if
the host dies (PR_SET_PDEATHSIG), not dumpable (other runs of the host cannot read its
memory, environment or files through /proc), a child subreaper for what its run starts, numpy's
global random state reseeded (Python's `random` reseeds itself after a fork), then the
same `run_job` a spawned worker runs, and `os._exit` — never the host's atexit
handlers or buffered output. Orphans a killed run leaves to the host (the host is a
subreaper too) are killed when their run's exit is reaped, and the run's scratch folder
(its spilled outputs, engine/execution/record_spool.py) is removed then.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import signal
import sys
import traceback
from typing import Any

import orjson

from engine.config.prefect_env import configure_prefect_env, no_ca_bundle_for_plain_http
from engine.execution import process_tree
from engine.execution.record_spool import RunScratch, return_big_buffers_to_the_system
from engine.execution.worker import API_URL_ENV

_PR_SET_PDEATHSIG = 1
MAX_REPORT_LINE = 64 * 1024 * 1024  # as the API's request body limit (WIREWORK_MAX_BODY_MB default)
READ_CHUNK = 256 * 1024
_PR_SET_DUMPABLE = 4
EXIT_INTERNAL_ERROR = 70  # the child failed outside the run (EX_SOFTWARE)


def _set_parent_death_signal(sig: int) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _set_not_dumpable() -> None:
    """Keep the other runs of this host out of this one: they share its user, sandbox and
    PID namespace, so without this any of them could read this run's memory, environment
    and open files (its spilled records, its run token) through /proc/<pid>/. A process
    that is not dumpable has those owned by root and refused to anyone without
    CAP_SYS_PTRACE (the sandbox has none); /proc/<pid>/stat and status, which the
    launcher's memory watchdog reads, stay readable. No core dumps either."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reseed_libraries() -> None:
    """A forked child starts with its parent's random states: give it fresh ones, as a new
    process would have (Python's `random` does this itself at fork)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _forwarded(run_id: str, line: bytes) -> dict[str, Any] | None:
    """The control-pipe event for one line a child wrote, built from scratch: only the
    fields a report has, with the host's run id; None if the line is not a report."""
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(message, dict):
        return None
    events = message.get("events")
    if isinstance(events, list):
        return {"event": "report", "run_id": run_id, "events": events}
    part = message.get("part")
    if (isinstance(part, dict) and isinstance(part.get("node_id"), str) and isinstance(part.get("data"), str)
            and type(part.get("part")) is int):
        return {"event": "part", "run_id": run_id, "node_id": part["node_id"], "part": part["part"],
                "data": part["data"]}
    return None


class _Reports:
    """The read end of one child's report pipe and the partial line read from it."""

    def __init__(self, fd: int, pid: int, run_id: str):
        self.fd = fd
        self.pid = pid
        self.run_id = run_id
        self.pending = bytearray()
        self.skipping = False  # inside a line longer than MAX_REPORT_LINE: dropped to its end


class RunHost:
    def __init__(self, api_url: str, control_fd: int):
        self.api_url = api_url
        self._control = control_fd
        self._children: dict[int, str] = {}  # pid -> run id
        self._reports: dict[int, _Reports] = {}  # read end fd -> the child's reports
        self._report_of: dict[int, int] = {}  # pid -> read end fd
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)

    def emit(self, event: str, **fields: Any) -> None:
        self._write_control(orjson.dumps({"event": event, **fields}) + b"\n")

    def _write_control(self, data: bytes) -> None:
        # A line longer than PIPE_BUF may be written in parts (a signal can cut a write short).
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._control, view):]
            except InterruptedError:
                continue

    def serve(self) -> int:
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select through the wake-up fd
        signal.signal(signal.SIGTERM, self._on_sigterm)
        process_tree.become_subreaper()  # orphans of killed runs come here, not to pid 1
        self.emit("ready", pid=os.getpid())
        stdin = sys.stdin.fileno()
        pending = b""
        while True:
            try:
                readable, _, _ = select.select([stdin, self._wake_r, *self._reports], [], [])
            except InterruptedError:
                continue
            for fd in readable:
                reports = self._reports.get(fd)
                if reports is not None and not self._read_reports(reports):
                    self._close_reports(reports)  # the run closed it (or is gone): nothing more to read
            if self._wake_r in readable:
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
                self._reap()
            if stdin in readable:
                chunk = os.read(stdin, 65536)
                if not chunk:
                    return self._close()  # the launcher went away
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip() and self._handle(orjson.loads(line)) is False:
                        return self._close()

    def _handle(self, command: dict[str, Any]) -> bool:
        op = command.get("op")
        if op == "run":
            self._fork(command["run_id"], command["job"], bool(command.get("reports")))
            return True
        if op == "exit":
            return False
        print(f"run host: unknown command {op!r}", file=sys.stderr, flush=True)
        return True

    def _fork(self, run_id: str, job: dict[str, Any], reports: bool) -> None:
        """`reports`: the run reports through a pipe to this host (else over HTTP)."""
        sys.stderr.flush()
        report_r, report_w = os.pipe2(os.O_CLOEXEC) if reports else (-1, -1)
        pid = os.fork()
        if pid == 0:  # the child: never returns
            if reports:
                os.close(report_r)
            self._child(job, report_w if reports else None)
        self._children[pid] = run_id
        if reports:
            os.close(report_w)  # only the child writes: its exit is the pipe's end
            os.set_blocking(report_r, False)
            self._reports[report_r] = _Reports(report_r, pid, run_id)
            self._report_of[pid] = report_r
        self.emit("started", run_id=run_id, pid=pid)

    def _read_reports(self, reports: _Reports) -> bool:
        """Forward the whole lines readable now; False once the pipe has ended."""
        try:
            chunk = os.read(reports.fd, READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return True
        if not chunk:
            return False
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            if reports.skipping:
                reports.skipping = False
            else:
                reports.pending += chunk[start:end]
                self._forward(reports, bytes(reports.pending))
            reports.pending.clear()
            start = end + 1
        if not reports.skipping:
            reports.pending += chunk[start:]
            if len(reports.pending) > MAX_REPORT_LINE:
                print(f"run host: run {reports.run_id} wrote a report line over {MAX_REPORT_LINE} bytes; dropped",
                      file=sys.stderr, flush=True)
                reports.pending.clear()
                reports.skipping = True
        return True

    def _forward(self, reports: _Reports, line: bytes) -> None:
        if not line.strip():
            return
        event = _forwarded(reports.run_id, line)
        if event is None:
            print(f"run host: run {reports.run_id} wrote a line that is not a report; dropped: {line[:200]!r}",
                  file=sys.stderr, flush=True)
            return
        self._write_control(orjson.dumps(event) + b"\n")

    def _close_reports(self, reports: _Reports) -> None:
        # Both maps at once: the fd's number is reused by the next pipe opened.
        self._reports.pop(reports.fd, None)
        self._report_of.pop(reports.pid, None)
        os.close(reports.fd)

    def _drain_reports(self, pid: int) -> None:
        """What the reaped child left in its pipe, then the pipe's end. Its descendants
        (killed just before) may still hold the write end: only what is there now is read."""
        fd = self._report_of.get(pid)
        reports = self._reports.get(fd) if fd is not None else None
        if reports is None:
            return  # its pipe had ended already
        try:
            while self._read_reports(reports):
                try:
                    if not select.select([reports.fd], [], [], 0)[0]:
                        break
                except InterruptedError:
                    continue
        finally:
            self._close_reports(reports)

    def _child(self, job: dict[str, Any], report_fd: int | None) -> None:
        code = EXIT_INTERNAL_ERROR
        try:
            os.setsid()
            _set_parent_death_signal(signal.SIGKILL)
            _set_not_dumpable()
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGCHLD, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            # The host's ends of every pipe, and the other runs' report pipes.
            for fd in (self._control, self._wake_r, self._wake_w, *self._reports):
                os.close(fd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            _reseed_libraries()
            from engine.execution.worker import run_in_this_process

            code = run_in_this_process(job, self.api_url, report_fd)
        except BaseException:  # the child must end here whatever happened
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run_id = self._children.pop(pid, None)
            if run_id is None:
                continue  # an adopted orphan, reaped
            RunScratch(run_id).remove()  # a run killed or crashed before it removed its spilled outputs
            # What the run left in its process group, then what it left to us (the run's own
            # subreaper is gone, so its orphans were re-parented here).
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for orphan in process_tree.children(os.getpid()):
                if orphan not in self._children:
                    process_tree.kill_tree(orphan)
            self._drain_reports(pid)  # what the run wrote arrives before its exit
            self.emit("exited", run_id=run_id, returncode=os.waitstatus_to_exitcode(status))

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        for pid in list(self._children):
            try:
                os.killpg(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        raise SystemExit(0)

    def _close(self) -> int:
        for pid in list(self._children):
            process_tree.kill_tree(pid)
        return 0


def main() -> int:
    configure_prefect_env()
    no_ca_bundle_for_plain_http()
    api_url = os.environ[API_URL_ENV]
    # The control pipe is our stdout as started; from here on fd 1 is stderr, for the
    # children's prints and anything a library writes.
    control = os.dup(1)
    os.dup2(2, 1)
    from engine.execution.worker import warm_up

    return_big_buffers_to_the_system()  # before the imports, inherited by every run it forks
    warm_up()
    try:
        return RunHost(api_url, control).serve()
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            return 0  # the launcher closed the control pipe: it is shutting down
        raise


if __name__ == "__main__":
    sys.exit(main())
