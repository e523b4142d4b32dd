"""Running user code in a bubblewrap sandbox: `sandboxed(argv, hidden)` wraps a command.

User code (Python nodes in run workers, labeling functions) must not reach the data
folder, which holds `secrets.key`, the DuckDB files, `api-token` and Prefect's SQLite.
`sandboxed` returns the command that runs `argv` under bubblewrap (`bwrap`):

    env --ignore-signal=TERM,INT  bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp
        --tmpfs <hidden path>...  --unshare-pid --cap-drop ALL [--die-with-parent]
        -- env --default-signal=TERM,INT  <argv>

What the sandboxed process gets:
- The whole file system **read-only** (the interpreter, the virtualenv, the shipped
  model, the code — bound again over the private /tmp when they live under /tmp, as in
  a checkout cloned there), except:
- each hidden path replaced by an empty, private, writable tmpfs (so it cannot be listed
  or read, and whatever is written there vanishes with the sandbox; a worker whose
  `PREFECT_HOME` points into the data folder gets an empty one). Mounted after the new
  /tmp, so a hidden path under /tmp and one elsewhere are both hidden. A hidden path that
  does not exist yet is created (mode 0700) first: bubblewrap cannot create a mount point
  in the read-only root, and a folder created later would otherwise be visible;
- a private, empty /tmp and /dev/shm (nothing another process wrote there is visible,
  and nothing written there outlives the sandbox); a minimal /dev;
- no capabilities, even when wirework runs as root (bubblewrap keeps them all for root
  otherwise: remounting the root read-write would undo every rule here);
- its own PID namespace and /proc: it sees only its own processes (not the API's
  `/proc/<pid>/environ`), and when the sandbox's first process goes, the kernel kills
  everything started inside, even what left the process group with `setsid`. Killing the
  process group of the process the caller spawned (bwrap itself) therefore stops the
  command and all it started.

What it keeps: the network (workers call the API over 127.0.0.1, and nodes fetch the
web), including every local TCP service and Unix sockets on the file system (e.g. a
Docker or D-Bus socket); read access to everything outside the hidden paths (the home
folder's dot files, the repository); the environment the caller passes (give user code
only the variables it needs: the API's own tokens must not be in it); the caller's user
id. Home and cache folders are read-only: nothing wirework runs needs to write there
(measured: prefect, torch and transformers import and the shipped MiniLM loads; Prefect
only warns when `PREFECT_HOME` is not writable), so HOME/XDG are left alone.

Signals: bwrap itself dies at SIGTERM/SIGINT at once, leaving the command running
without a parent to wait for. So bwrap is started with those two ignored and the command
gets them back at their defaults: `os.killpg(pid, SIGTERM)` reaches the command (a
graceful stop), and `wait()` on bwrap returns only once the command has exited, with its
exit status (128 + n when it was killed by signal n). `Popen.terminate()` on bwrap alone
does nothing: signal the process group, or SIGKILL.

`die_with_parent` (off by default) adds `--die-with-parent`: the sandbox is SIGKILLed
when its parent goes away. Linux ties that to the *thread* that spawned bwrap, not the
process: spawn it only from a thread that outlives the sandbox (one that waits for it),
never from a short-lived helper thread; and it makes SIGTERM to the group a SIGKILL.

Do NOT add `--new-session`: callers start bwrap with `start_new_session=True` and stop a
run by killing that process group, which must stay the group of everything inside.

Without bubblewrap (or where it cannot create namespaces) `sandboxed` returns `argv`
unchanged; `sandbox_available()` tells the caller, `unavailable_reason()` says why, so
the server can log one warning.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterable

log = logging.getLogger("wirework.sandbox")

# The signals bwrap must survive (see the module docstring) and hand back to the command.
_PASSED_SIGNALS = "TERM,INT"
# Restores default dispositions, then execs the command: the fallback where `env` has no
# --default-signal (coreutils < 8.31, busybox).
_PY_DEFAULT_SIGNALS = ("import os, signal, sys\n"
                       "for s in (signal.SIGTERM, signal.SIGINT): signal.signal(s, signal.SIG_DFL)\n"
                       "os.execvp(sys.argv[1], sys.argv[1:])")
_PY_IGNORE_SIGNALS = _PY_DEFAULT_SIGNALS.replace("SIG_DFL", "SIG_IGN")
_MOUNTS = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp")
# bwrap started by root keeps every capability inside (measured: CapEff 000001fffeffffff),
# so user code could remount the root read-write, reach the hidden data folder or read
# other runs' memory through /proc. Dropped, root in the sandbox is an ordinary user.
_NO_CAPABILITIES = ("--cap-drop", "ALL")
_PROBE_TIMEOUT_S = 20.0

_lock = threading.Lock()
_probed: tuple[bool, str | None, list[str], list[str], str] | None = None


def _signal_shims() -> tuple[list[str], list[str]]:
    """(prefix that starts bwrap with TERM/INT ignored, prefix that restores them inside)."""
    env = shutil.which("env")
    if env:
        try:
            ok = subprocess.run([env, f"--ignore-signal={_PASSED_SIGNALS}", f"--default-signal={_PASSED_SIGNALS}",
                                 "true"], capture_output=True, timeout=_PROBE_TIMEOUT_S).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return [env, f"--ignore-signal={_PASSED_SIGNALS}"], [env, f"--default-signal={_PASSED_SIGNALS}"]
    return ([sys.executable, "-I", "-S", "-c", _PY_IGNORE_SIGNALS],
            [sys.executable, "-I", "-S", "-c", _PY_DEFAULT_SIGNALS])


def _probe() -> tuple[bool, str | None, list[str], list[str], str]:
    """Try bubblewrap once: (works, why not, outer prefix, inner prefix, bwrap path)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not on PATH; install it with `make sandbox`", [], [], ""
    outer, inner = _signal_shims()
    argv = [*outer, bwrap, *_MOUNTS, *_reexposed(), "--unshare-pid", *_NO_CAPABILITIES, "--die-with-parent", "--", *inner,
            sys.executable, "-c", "pass"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not be started: {exc}", [], [], ""
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        return False, f"bubblewrap does not work here: {why[-1] if why else f'exit code {done.returncode}'}", [], [], ""
    return True, None, outer, inner, bwrap



def _state() -> tuple[bool, str | None, list[str], list[str], str]:
    global _probed
    with _lock:
        if _probed is None:
            _probed = _probe()
            if not _probed[0]:
                log.debug("sandbox unavailable: %s", _probed[1])
        return _probed


def sandbox_available() -> bool:
    """True when bubblewrap is on PATH and actually sandboxes here (tried once, then cached)."""
    return _state()[0]


def unavailable_reason() -> str | None:
    """Why commands run unsandboxed (None when the sandbox works): for the one warning to log."""
    return _state()[1]


def _is_under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _needed_inside() -> list[Path]:
    """What a sandboxed wirework process cannot do without: its interpreter, its virtualenv and
    wirework's own code (the folder holding the engine, nodes and stores packages)."""
    return [Path(p).resolve() for p in {sys.executable, sys.prefix, sys.base_prefix, str(Path(__file__).parents[2])}]


def _reexposed() -> list[str]:
    """Read-only binds, over the private /tmp, of what the command needs that lives under
    /tmp — a checkout cloned to /tmp, its virtualenv, the working directory — since a
    fresh /tmp would otherwise hide the interpreter itself."""
    tmp = Path("/tmp").resolve()
    wanted = sorted({p for p in (*_needed_inside(), Path.cwd().resolve()) if _is_under(p, tmp) and p != tmp})
    args: list[str] = []
    kept: list[Path] = []
    for path in wanted:
        if any(_is_under(path, parent) for parent in kept):
            continue  # inside a folder already bound
        kept.append(path)
        args += ["--ro-bind", str(path), str(path)]
    return args


def _hide_args(hidden: Iterable[str | os.PathLike[str]]) -> list[str]:
    tmp = Path("/tmp").resolve()
    args: list[str] = []
    for raw in hidden:
        path = Path(raw).expanduser().resolve()  # a symlinked data folder: hide where it really is
        for needed in (Path("/"), *_needed_inside()):
            if _is_under(needed, path):
                raise ValueError(f"cannot hide {path} from a sandboxed command: it holds {needed}, "
                                 f"which the command needs")
        if _is_under(path, tmp):  # already absent from the private /tmp; bwrap makes the mount point there
            args += ["--tmpfs", str(path)]
        elif path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.exists():  # a file: a tmpfs cannot cover it, an unreadable device node can
            args += ["--ro-bind", "/dev/null", str(path)]
        else:
            try:
                path.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:  # not even we can create it: nothing of ours can be there
                log.warning("cannot create hidden folder %s for the sandbox (%s); not hiding it", path, exc)
                continue
            args += ["--tmpfs", str(path)]
    return args


def sandboxed(argv: list[str], hidden: Iterable[str | os.PathLike[str]], *,
              die_with_parent: bool = False, shared: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
    """The command running `argv` in a bubblewrap sandbox that cannot see `hidden` (files or
    folders) and has a private /tmp; `argv` itself when the sandbox is unavailable.

    `shared`: existing folders bound read-write at the same path inside (after the private
    /tmp and the hidden paths), e.g. the private folder holding the embedding service's
    socket — a folder rather than the socket, so a socket created or re-created later
    (the service restarting) is reachable too.

    Start it with `start_new_session=True` and stop it by killing that process group."""
    works, _, outer, inner, bwrap = _state()
    if not works:
        return list(argv)
    binds = [arg for path in shared for arg in ("--bind", str(Path(path).resolve()), str(Path(path).resolve()))]
    return [*outer, bwrap, *_MOUNTS, *_reexposed(), *_hide_args(hidden), *binds, "--unshare-pid", *_NO_CAPABILITIES,
            *(["--die-with-parent"] if die_with_parent else []), "--", *inner, *argv]
