"""The processes a run started, found and killed through /proc (Linux).

A run owns every process it starts: on the end of a node that timed out, the end of the
run and a hard cancel, what is left is killed — also what left the worker's process
group with `setsid`. Three pieces make that hold with or without the bubblewrap sandbox
(whose PID namespace already kills everything inside when the worker goes):

- `become_subreaper()`: the worker adopts the orphans of its descendants (a shell that
  started `setsid sleep 300 &` and exited), so they stay *under* the worker, not under
  pid 1, where nothing could tell them from anyone else's;
- `descendants(pid)`: every process below `pid`, from the parent ids in /proc/*/stat
  (the kernel here has no /proc/<pid>/task/<tid>/children);
- `kill_tree(pid)`: SIGKILL to those and to `pid`'s process group, walked twice so a
  process forked between the walk and the kill is caught too.

`tree_rss_bytes(pid)` sums the resident memory of a process and its descendants, for the
launcher's memory watchdog (engine/server/services/launcher.py).
"""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_CHILD_SUBREAPER = 36
_PAGE = os.sysconf("SC_PAGE_SIZE")


def become_subreaper() -> bool:
    """Make this process the reaper of its descendants' orphans; False where prctl is missing."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:  # gone meanwhile, or not ours to read
        return None
    return raw[raw.rfind(b")") + 2:].decode().split()


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[0] != "Z":  # a zombie holds no memory and cannot be killed
                parents[int(entry)] = int(fields[1])
    return parents


def children(pid: int) -> list[int]:
    """The living processes whose parent is `pid`."""
    return [child for child, parent in _parents().items() if parent == pid]


def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (children, their children, …), parents first."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, ()):
            found.append(child)
            frontier.append(child)
    return found


def kill_tree(pid: int, include_root: bool = True) -> int:
    """SIGKILL every process below `pid` (and `pid` with its process group when
    `include_root`); returns how many processes were signalled."""
    killed: set[int] = set()
    for _ in range(2):  # a second walk catches what forked while the first one was killed
        targets = descendants(pid)
        for target in targets:
            if target not in killed:
                try:
                    os.kill(target, signal.SIGKILL)
                    killed.add(target)
                except (ProcessLookupError, PermissionError):
                    pass
    if include_root:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass
    return len(killed)


def started_after(pid: int, since_ticks: int) -> list[int]:
    """Descendants of `pid` that started at or after `since_ticks` (clock ticks since boot,
    as `start_ticks()` returns)."""
    found = []
    for child in descendants(pid):
        fields = _stat_fields(child)
        if fields is not None and int(fields[19]) >= since_ticks:
            found.append(child)
    return found


def start_ticks() -> int:
    """Now, in the unit of /proc/<pid>/stat's start time (clock ticks since boot)."""
    with open("/proc/uptime") as f:
        return int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and every process below it, in bytes (0 if it is gone)."""
    return ProcessSnapshot().tree_rss_bytes(pid)


class ProcessSnapshot:
    """One walk of /proc: parents and resident memory of every living process, so the
    memory watchdog measures all running runs' trees from a single scan per poll (a scan
    per run, every 0.1 s, cost a core's worth of CPU with dozens of runs)."""

    def __init__(self) -> None:
        self.children: dict[int, list[int]] = {}
        self.rss_pages: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                fields = _stat_fields(int(entry))
                if fields is not None and fields[0] != "Z":
                    self.children.setdefault(int(fields[1]), []).append(int(entry))
                    self.rss_pages[int(entry)] = int(fields[21])

    def tree_rss_bytes(self, pid: int) -> int:
        total, frontier = 0, [pid]
        while frontier:
            current = frontier.pop()
            total += self.rss_pages.get(current, 0) * _PAGE
            frontier.extend(self.children.get(current, ()))
        return total


def _namespace_pid(pid: int) -> int | None:
    """The innermost PID namespace's number of `pid` (its NSpid's last field)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return None


def child_pid_here(namespace_pid: int, parent: int) -> int | None:
    """Like `pid_here` for a direct child of `parent` (a pid in our view), read from
    /proc/<parent>/task/*/children instead of a walk of every process on the machine
    (~1 ms per hundred processes); None if not found there (or the kernel lacks the file)."""
    try:
        tasks = os.listdir(f"/proc/{parent}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{parent}/task/{task}/children", "rb") as f:
                candidates = [int(pid) for pid in f.read().split()]
        except (OSError, ValueError):
            continue
        for candidate in reversed(candidates):  # the newest child is the likeliest
            if _namespace_pid(candidate) == namespace_pid:
                return candidate
    return None


def pid_here(namespace_pid: int, under: int) -> int | None:
    """The pid, as this process sees it, of the process below `under` that its own PID
    namespace (e.g. bubblewrap's) numbers `namespace_pid`; None if it is gone. Without a
    namespace in between the two numbers are the same."""
    for candidate in descendants(under):
        try:
            with open(f"/proc/{candidate}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"NSpid:"):
                        if int(line.split()[-1]) == namespace_pid:
                            return candidate
                        break
        except (OSError, ValueError):
            continue
    return None
