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
- stdin (launcher → host): `{"op": "run", "run_id", "job"}` — fork a child that runs
  the job (engine/execution/worker.py's job lines); `{"op": "exit"}`.
- the control pipe (host → launcher; the host's original stdout, kept on a private fd
  while fd 1 is pointed at stderr, so a node's `print` can never corrupt it):
  `{"event": "ready", "pid"}`, `{"event": "started", "run_id", "pid"}` (pid as this
  process's PID namespace numbers it: the launcher maps it to its own view) and
  `{"event": "exited", "run_id", "returncode"}` (negative: killed by that signal).

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


class RunHost:
    def __init__(self, api_url: str, control_fd: int):
        self.api_url = api_url
        self._control = control_fd
        self._children: dict[int, str] = {}  # pid -> run id
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)

    def emit(self, event: str, **fields: Any) -> None:
        os.write(self._control, orjson.dumps({"event": event, **fields}) + b"\n")

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
                readable, _, _ = select.select([stdin, self._wake_r], [], [])
            except InterruptedError:
                continue
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
            self._fork(command["run_id"], command["job"])
            return True
        if op == "exit":
            return False
        print(f"run host: unknown command {op!r}", file=sys.stderr, flush=True)
        return True

    def _fork(self, run_id: str, job: dict[str, Any]) -> None:
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            self._child(job)
        self._children[pid] = run_id
        self.emit("started", run_id=run_id, pid=pid)

    def _child(self, job: dict[str, Any]) -> None:
        code = EXIT_INTERNAL_ERROR
        try:
            os.setsid()
            _set_parent_death_signal(signal.SIGKILL)
            _set_not_dumpable()
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGCHLD, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            for fd in (self._control, self._wake_r, self._wake_w):
                os.close(fd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            _reseed_libraries()
            from engine.execution.worker import run_in_this_process

            code = run_in_this_process(job, self.api_url)
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
