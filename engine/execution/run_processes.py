"""Where a run's process comes from, as the launcher sees it (lives in the API process).

Two ways, one handle (`RunProcess`: its pid in our view, wait, signal its group, kill
its tree):

- `ForkServer` (the default): one run host process (engine/execution/run_host.py), kept
  alive by a keeper thread, forks a child per run. Starting a run is one line written to
  the host; the child is running a few milliseconds later.
- `SpareWorkers` (`WIREWORK_RUN_PROCESSES=spawn`): a fresh `python -m
  engine.execution.worker` per run, one warm spare waiting — what wirework did before the
  forkserver, kept as the baseline bench/throughput.py measures against.

What a forked run reports (its events and small run-data parts, engine/client/pipe_reporting.py)
comes through the host on the same control pipe as its `started` and `exited`, tagged by
the host with the run's id; the reader thread hands it to `on_reports` (the API's
RunService.apply_reports) in the order it came — the lines of several runs that arrived
together in one call — and only then goes on to the next `exited`, so a run's end is
recorded before its process's exit is. A report naming a run this host is not running is
dropped.

The host is started by the keeper thread and lives as long as it (bubblewrap's
`--die-with-parent` watches the thread that started it); if it dies, the runs it had
forked are reported ended (the launcher settles them as crashed), runs sent but not yet
forked are sent again to the new host, and a new host starts with backoff.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO, Any, Callable, Protocol

import orjson

from engine.execution import process_tree

log = logging.getLogger("wirework.launcher")
RUN_PROCESSES_ENV = "WIREWORK_RUN_PROCESSES"
HOST_RESTART_BACKOFF_S = (0.5, 10.0)
HOST_HEALTHY_AFTER_S = 30.0  # a host that lived this long restarts without backoff
HOST_START_ATTEMPTS = 3  # hosts in a row that die before ready: the runs waiting for one end
READ_CHUNK = 1024 * 1024
REPORT_KINDS = frozenset({"report", "part"})
# What the reader hands over: the host's report lines, parsed, each with the run's id.
OnReports = Callable[[list[dict[str, Any]]], None]


class RunProcess(Protocol):
    """A run's process, seen from the launcher."""

    @property
    def pid(self) -> int | None: ...  # None until known (a fork in flight)
    @property
    def returncode(self) -> int | None: ...
    def wait(self) -> int: ...
    def signal_group(self, sig: int) -> None: ...
    def kill_tree(self) -> None: ...


class RunProcessSource(Protocol):
    def start(self) -> None: ...
    def run(self, run_id: str, job: dict[str, Any] | None) -> RunProcess: ...  # None: end at once
    def health(self) -> dict[str, Any]: ...
    def shutdown(self, timeout_s: float) -> None: ...  # after the launcher stopped the runs


def _stdin_of(process: subprocess.Popen) -> IO[bytes]:
    if process.stdin is None:
        raise RuntimeError(f"process {process.pid} has no stdin pipe")
    return process.stdin


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_or_kill(process: subprocess.Popen, timeout_s: float) -> None:
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process_tree.kill_tree(process.pid)
        process.wait()


# -- a process per run -------------------------------------------------------------
class SpawnedRun:
    def __init__(self, process: subprocess.Popen):
        self.process = process

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        # Not poll(): the launcher's watcher is in wait() and poll() cannot take its lock;
        # the pid stays ours (unreaped) until that wait() returns and sets returncode.
        return self.process.returncode

    def wait(self) -> int:
        returncode = self.process.wait()
        _killpg(self.process.pid, signal.SIGKILL)  # what the run left in its process group
        return returncode

    def signal_group(self, sig: int) -> None:
        _killpg(self.process.pid, sig)

    def kill_tree(self) -> None:
        if self.process.returncode is None:
            process_tree.kill_tree(self.process.pid)


class SpareWorkers:
    """A fresh worker process per run; one warm spare waits for the next run."""

    def __init__(self, command: list[str], env: dict[str, str]):
        self._command = [*command, "-m", "engine.execution.worker"]
        self._env = env
        self._lock = threading.Lock()
        self._spare: subprocess.Popen | None = None
        self._closed = False

    def _spawn(self) -> subprocess.Popen:
        # A new session: cancelling kills the worker *and* anything user code started.
        return subprocess.Popen(self._command, stdin=subprocess.PIPE, env=self._env,
                                start_new_session=True, cwd=os.getcwd())

    def start(self) -> None:
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = self._spawn()

    def health(self) -> dict[str, Any]:
        with self._lock:
            return {"mode": "spawn", "spare_ready": self._spare is not None and self._spare.poll() is None}

    def _refill(self) -> None:
        spare = self._spawn()
        with self._lock:
            if self._closed or self._spare is not None:
                _stdin_of(spare).close()
                spare.terminate()
                return
            self._spare = spare

    def run(self, run_id: str, job: dict[str, Any] | None) -> RunProcess:
        with self._lock:
            process, self._spare = self._spare, None
        if process is None or process.poll() is not None:
            process = self._spawn()
        try:
            if job is not None:  # else an empty stdin: the worker exits at once
                _stdin_of(process).write(orjson.dumps({**job, "run_id": run_id}) + b"\n")
            _stdin_of(process).close()
        except OSError:  # the worker died before taking the job: its exit is reported
            log.warning("worker %s for run %s died before taking its job", process.pid, run_id)
        threading.Thread(target=self._refill, name="wirework-spare", daemon=True).start()
        return SpawnedRun(process)

    def shutdown(self, timeout_s: float) -> None:
        """The waiting spare exits (its stdin closes); waited for, killed if it lingers."""
        with self._lock:
            self._closed = True
            spare, self._spare = self._spare, None
        if spare is not None:
            try:
                _stdin_of(spare).close()
            except OSError:
                pass
            _wait_or_kill(spare, timeout_s)


# -- a fork per run ------------------------------------------------------------------
class ForkedRun:
    """A child of the run host. Its pid arrives with the host's `started` event; a signal
    asked for before that is sent then."""

    def __init__(self, run_id: str, job: dict[str, Any] | None = None):
        self.run_id = run_id
        self.job = job  # kept until forked: a host that dies first leaves it to the next one
        self.forked = False
        self._pid: int | None = None
        self._returncode: int | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._pending: int | None = None  # signal asked for before the pid was known
        self.sent_to: subprocess.Popen | None = None  # the host the job line went to

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def returncode(self) -> int | None:
        return self._returncode

    def started(self, pid: int | None) -> None:
        with self._lock:
            self.forked, self.job = True, None
            self._pid = pid
            pending, self._pending = self._pending, None
        if pending is not None:
            self.kill_tree() if pending == signal.SIGKILL else self.signal_group(pending)

    def finished(self, returncode: int) -> None:
        with self._lock:
            if self._returncode is not None:
                return
            self._returncode = returncode
        self._done.set()

    def wait(self) -> int:
        self._done.wait()
        return self._returncode if self._returncode is not None else -signal.SIGKILL

    def signal_group(self, sig: int) -> None:
        with self._lock:
            if self._returncode is not None:
                return
            if self._pid is None:
                self._pending = sig if self._pending != signal.SIGKILL else self._pending
                return
            pid = self._pid
        _killpg(pid, sig)

    def kill_tree(self) -> None:
        with self._lock:
            if self._returncode is not None:
                return
            if self._pid is None:
                self._pending = signal.SIGKILL
                return
            pid = self._pid
        process_tree.kill_tree(pid)


class ForkServer:
    """One run host that forks a process per run (see the module docstring)."""

    def __init__(self, command: list[str], env: dict[str, str], on_reports: OnReports | None = None):
        self._command = [*command, "-m", "engine.execution.run_host"]
        self._env = env
        self._on_reports = on_reports
        # The current host's Python process in our view, when its children are listed by
        # the kernel (else None: a started child's pid is found by a walk of /proc).
        self._host_here: int | None = None
        self._lock = threading.Lock()  # the state below
        self._write_lock = threading.Lock()  # one job line at a time into the host's stdin
        self._runs: dict[str, ForkedRun] = {}  # sent or to send, not yet exited
        self._host: subprocess.Popen | None = None
        self._ready = False
        self._restarts = 0
        self._closed = False
        self._keeper = threading.Thread(target=self._keep, name="wirework-run-host", daemon=True)

    def start(self) -> None:
        if not self._keeper.is_alive():
            self._keeper.start()

    def health(self) -> dict[str, Any]:
        with self._lock:
            host = self._host
            return {"mode": "fork", "host_ready": self._ready and host is not None and host.poll() is None,
                    "host_pid": host.pid if host is not None else None, "host_restarts": self._restarts}

    def run(self, run_id: str, job: dict[str, Any] | None) -> RunProcess:
        handle = ForkedRun(run_id, {**job, "run_id": run_id} if job is not None else None)
        if job is None:
            handle.finished(0)
            return handle
        with self._lock:
            if self._closed:
                handle.finished(-signal.SIGKILL)
                return handle
            self._runs[run_id] = handle
            host = self._host
        if host is not None:  # else the keeper sends it when a host is up
            self._send(host, handle)
        return handle

    def _send(self, host: subprocess.Popen, handle: ForkedRun) -> None:
        with self._write_lock:
            if handle.sent_to is host or handle.job is None:
                return
            # Before the line is written: the child's first reports may be read (by the
            # reader thread, which takes only reports of runs sent to this host) before
            # the write returns.
            handle.sent_to = host
            try:
                # Through the host only when there is someone to hand the reports to (not on
                # a remote worker, engine/cli/remote_worker.py: its runs report over HTTP).
                _stdin_of(host).write(orjson.dumps({"op": "run", "run_id": handle.run_id, "job": handle.job,
                                                    "reports": self._on_reports is not None}) + b"\n")
                _stdin_of(host).flush()
            except (OSError, ValueError):  # the host is gone: the keeper sends it to the next one
                handle.sent_to = None

    def _keep(self) -> None:
        backoff = HOST_RESTART_BACKOFF_S[0]
        failed_starts = 0  # hosts in a row that exited before they were ready
        while True:
            with self._lock:
                if self._closed:
                    return
            began = time.monotonic()
            try:
                host = subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=self._env, start_new_session=True, cwd=os.getcwd(), bufsize=0)
            except OSError as exc:
                log.error("could not start the run host: %s", exc)
                time.sleep(backoff)
                backoff = min(backoff * 2, HOST_RESTART_BACKOFF_S[1])
                continue
            with self._lock:
                self._host = host
                waiting = [h for h in self._runs.values() if h.sent_to is None]
            for handle in waiting:  # runs asked for while no host was up
                self._send(host, handle)
            self._read_events(host)
            returncode = host.wait()
            with self._lock:
                failed_starts = 0 if self._ready else failed_starts + 1
                self._host, self._ready = None, False
                closed = self._closed
                forked = [h for h in self._runs.values() if h.sent_to is host and h.forked]
                for handle in forked:
                    del self._runs[handle.run_id]
                unforked = [h for h in self._runs.values() if h.sent_to is host]
            for handle in forked:  # died with the host (PR_SET_PDEATHSIG)
                handle.finished(-signal.SIGKILL)
            for handle in unforked:
                handle.sent_to = None  # the next host gets them (each keeps its job until forked)
            if closed:
                with self._lock:
                    rest, self._runs = list(self._runs.values()), {}
                for handle in rest:
                    handle.finished(-signal.SIGKILL)
                return
            self._restarts += 1
            if failed_starts >= HOST_START_ATTEMPTS:
                # A host that cannot start (a broken install, a sandbox that refuses) would
                # leave the waiting runs queued for ever: they end now, as crashed, and the
                # keeper goes on trying for the runs to come.
                with self._lock:
                    stranded = [h for h in self._runs.values() if not h.forked]
                    for handle in stranded:
                        del self._runs[handle.run_id]
                for handle in stranded:
                    handle.finished(returncode if returncode else 1)
                if stranded:
                    log.error("the run host exited %d times in a row before it was ready (last exit code %s); "
                              "%d waiting run(s) end as crashed", failed_starts, returncode, len(stranded))
            if time.monotonic() - began > HOST_HEALTHY_AFTER_S:
                backoff = HOST_RESTART_BACKOFF_S[0]
            log.warning("the run host exited (code %s); %d run(s) it was running are lost, %d waiting are "
                        "resent; restarting it in %.1f s", returncode, len(forked), len(unforked), backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, HOST_RESTART_BACKOFF_S[1])

    def _read_events(self, host: subprocess.Popen) -> None:
        assert host.stdout is not None
        fd = host.stdout.fileno()
        pending = b""
        while True:
            try:
                chunk = os.read(fd, READ_CHUNK)
            except InterruptedError:
                continue
            if not chunk:
                return
            *lines, pending = (pending + chunk).split(b"\n")
            reports: list[dict[str, Any]] = []
            for line in lines:
                if not line.strip():
                    continue
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError:
                    log.warning("the run host wrote a line that is not an event: %r", line[:200])
                    continue
                if not isinstance(event, dict):
                    log.warning("the run host wrote a line that is not an event: %r", line[:200])
                elif event.get("event") in REPORT_KINDS:
                    reports.append(event)
                else:
                    self._apply_reports(host, reports)  # in order: a run's reports before its exit
                    reports = []
                    self._host_event(host, event)
            self._apply_reports(host, reports)

    def _apply_reports(self, host: subprocess.Popen, reports: list[dict[str, Any]]) -> None:
        if not reports:
            return
        with self._lock:
            known = [r for r in reports if (h := self._runs.get(str(r.get("run_id")))) is not None and h.sent_to is host]
        if len(known) < len(reports):
            log.warning("the run host reported for %d run(s) it is not running; dropped", len(reports) - len(known))
        if not known:
            return
        if self._on_reports is None:
            return
        try:
            self._on_reports(known)
        except Exception:  # a bad report must never stop the reader: the runs' exits come this way
            log.exception("applying %d run report(s) failed", len(known))

    def _host_event(self, host: subprocess.Popen, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "ready":
            # The host's own pid in our view (below bubblewrap's processes, if any): its
            # children's pids are then looked up among its children, not in all of /proc.
            ready_pid = int(event["pid"])
            below = process_tree.pid_here(ready_pid, under=host.pid)  # None: no namespace, the host is host.pid
            here = below if below is not None else host.pid
            # Where the kernel lists a process's children (CONFIG_PROC_CHILDREN): a child
            # not found there is gone (a short run, reaped before its `started` was read)
            # and walking /proc would not find it either.
            self._host_here = here if os.path.exists(f"/proc/{here}/task/{here}/children") else None
            with self._lock:
                self._ready = True
        elif kind == "started":
            with self._lock:
                handle = self._runs.get(event["run_id"])
            if handle is not None:
                namespace_pid = int(event["pid"])
                handle.started(process_tree.child_pid_here(namespace_pid, self._host_here)
                               if self._host_here is not None else process_tree.pid_here(namespace_pid, under=host.pid))
        elif kind == "exited":
            with self._lock:
                handle = self._runs.pop(event["run_id"], None)
            if handle is not None:
                handle.finished(int(event["returncode"]))

    def shutdown(self, timeout_s: float) -> None:
        """The host kills what is left of its runs and exits once its stdin closes; it is
        waited for (so no process of the server outlives `wirework up`), killed if it lingers."""
        with self._lock:
            self._closed = True
            host = self._host
        if host is not None:
            try:
                _stdin_of(host).close()
            except OSError:
                pass
            _wait_or_kill(host, timeout_s)


def run_process_source(command: list[str], env: dict[str, str], environ: dict[str, str] | None = None,
                       on_reports: OnReports | None = None) -> RunProcessSource:
    """The source `WIREWORK_RUN_PROCESSES` asks for: `fork` (default; its runs report
    through the host to `on_reports`) or `spawn` (its runs report over HTTP)."""
    mode = (os.environ if environ is None else environ).get(RUN_PROCESSES_ENV, "fork").strip() or "fork"
    if mode == "fork":
        return ForkServer(command, env, on_reports)
    if mode == "spawn":
        return SpareWorkers(command, env)
    raise ValueError(f"{RUN_PROCESSES_ENV} must be fork or spawn, not {mode!r}")


def python_command(wrap: Callable[[list[str]], list[str]]) -> list[str]:
    """The interpreter, wrapped (e.g. in the sandbox); the caller adds `-m module`."""
    return wrap([sys.executable])
