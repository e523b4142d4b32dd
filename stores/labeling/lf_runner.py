"""Running labeling functions outside the process that owns the project, with a timeout.

The service lives in the API process, and user code never runs there (DESIGN.md:
security model): a labeling function that loops forever or crashes the interpreter
must not take the API down, nor read the data folder. `run_labeling_functions`
evaluates a task's labeling functions over a batch of records in a fresh child process
(`python lf_child.py`, a new interpreter: no locks, DuckDB connections or secrets in
memory are inherited), kills it after `timeout_s`, and turns a failure in user code
back into the same `HeuristicError` (heuristic, record, line) as in-process.

The child's command goes through `wrap_command` first: the engine passes one that runs it
in its bubblewrap sandbox without the data folder (engine/sandbox.py; stores/ cannot
import engine/). The child gets a minimal environment (no tokens or auth strings of the
API process), its own process group (killed as a whole on timeout), and speaks JSON
over stdin/stdout — never pickle, since what comes back may have been written by user
code — so the answer is checked before it is believed.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import orjson

from .errors import HeuristicError
from .heuristics import Votes
from .tasks import TaskSpec

DEFAULT_TIMEOUT_S = 120.0
CommandWrapper = Callable[[list[str]], list[str]]
CHILD_SCRIPT = Path(__file__).with_name("lf_child.py")
# What the child inherits of the environment: enough for Python and locales, no secrets.
_ENV_KEEP = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "PYTHONPATH")


def no_wrapping(argv: list[str]) -> list[str]:
    return argv


def child_command() -> list[str]:
    """The unwrapped command of the child (-P: its folder is not put on sys.path)."""
    return [sys.executable, "-P", str(CHILD_SCRIPT)]


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith("LC_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the sandbox's root is read-only anyway
    return env


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL the child's process group (the child and what it started), then reap it; an
    unsandboxed grandchild that left the group and holds the pipes open is not waited for."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        process.wait()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _raise(project: str, task: str, detail: Any) -> None:
    if not isinstance(detail, dict) or not isinstance(detail.get("message"), str):
        raise HeuristicError("running labeling functions failed: the child process answered nonsense",
                             project=project, task=task)
    line = detail.get("line")
    raise HeuristicError(detail["message"], line=line if isinstance(line, int) else None,
                         source_line=_text(detail.get("source_line")),
                         exception_type=_text(detail.get("exception_type")),
                         project=_text(detail.get("project")) or project, task=_text(detail.get("task")) or task,
                         heuristic=_text(detail.get("heuristic")), record_id=_text(detail.get("record_id")))


def _votes(result: Any, names: list[str], labels: set[str]) -> dict[str, Votes] | None:
    """The child's votes as {name: {record_id: (label, confidence)}}, or None if malformed."""
    if not isinstance(result, dict) or set(result) != set(names):
        return None
    out: dict[str, Votes] = {}
    for name, votes in result.items():
        if not isinstance(votes, dict):
            return None
        checked: Votes = {}
        for rid, vote in votes.items():
            if not (isinstance(vote, list) and len(vote) == 2 and vote[0] in labels
                    and isinstance(vote[1], (int, float)) and not isinstance(vote[1], bool)
                    and math.isfinite(vote[1])):
                return None
            checked[rid] = (vote[0], float(vote[1]))
        out[name] = checked
    return out


def run_labeling_functions(project: str, task: TaskSpec, functions: list[tuple[str, str]], records: list[dict],
                           timeout_s: float = DEFAULT_TIMEOUT_S,
                           wrap_command: CommandWrapper = no_wrapping) -> dict[str, Votes]:
    """Votes of each (name, code) labeling function over `records`, computed in a child process
    started as `wrap_command(child_command())`."""
    if not functions:
        return {}
    request = orjson.dumps({"project": project, "task": task.to_dict(),
                            "functions": [[name, code] for name, code in functions], "records": records})
    process = subprocess.Popen(wrap_command(child_command()), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=_child_env(), start_new_session=True)
    try:
        out, err = process.communicate(request, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise HeuristicError(f"labeling functions did not finish within {timeout_s:g} s "
                             f"({', '.join(name for name, _ in functions)}); is one of them stuck in a loop?",
                             project=project, task=task.name) from None
    finally:
        if process.poll() is None:  # an exception above: never leave it running
            _kill(process)
    try:
        answer = orjson.loads(out) if out else None
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict) or answer.get("status") not in ("ok", "error", "crash"):
        last = err.decode(errors="replace").strip().splitlines()[-1:] if err else []
        raise HeuristicError("the process running labeling functions died (exit code "
                             f"{process.returncode}) while labeling {len(records)} records"
                             + (f": {last[0][:500]}" if last else ""), project=project, task=task.name)
    status, result = answer["status"], answer.get("result")
    if status == "error":
        _raise(project, task.name, result)
    if status == "crash":
        raise HeuristicError(f"running labeling functions failed: {str(result)[:2000]}",
                             project=project, task=task.name)
    votes = _votes(result, [name for name, _ in functions], set(task.labels))
    if votes is None:
        raise HeuristicError("running labeling functions failed: the child process answered malformed votes",
                             project=project, task=task.name)
    return votes
