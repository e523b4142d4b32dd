"""Running labeling functions outside the process that owns the project, with a timeout.

The service lives in the API process, and user code never runs there (DESIGN.md:
security defaults): a labeling function that loops forever or crashes the interpreter
must not take the API down. `run_labeling_functions` evaluates a task's labeling
functions over a batch of records in a fresh child process (spawned, so no locks or
DuckDB connections are inherited), kills it after `timeout_s`, and turns a failure in
user code back into the same `HeuristicError` (heuristic, record, line) as in-process.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from .errors import HeuristicError
from .heuristics import LabelingFunction, Votes
from .tasks import TaskSpec

DEFAULT_TIMEOUT_S = 120.0


def evaluate(project: str, task: dict[str, Any], functions: list[tuple[str, str]],
             records: list[dict]) -> tuple[str, Any]:
    """("ok", {name: votes}) or ("error", HeuristicError.to_dict() + line fields)."""
    spec = TaskSpec.from_dict(task)
    out: dict[str, Votes] = {}
    try:
        for name, code in functions:
            out[name] = LabelingFunction(name, spec, code, project).votes(records)
    except HeuristicError as exc:
        return "error", {**exc.to_dict(), "message": exc.message}
    return "ok", out


def _child(conn: Any) -> None:
    try:
        payload = conn.recv()
        conn.send(evaluate(*payload))
    except BaseException as exc:  # anything else (e.g. an unpicklable vote) still reaches the parent
        conn.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _raise(project: str, task: str, detail: dict[str, Any]) -> None:
    raise HeuristicError(detail["message"], line=detail.get("line"), source_line=detail.get("source_line"),
                         exception_type=detail.get("exception_type"), project=detail.get("project") or project,
                         task=detail.get("task") or task, heuristic=detail.get("heuristic"),
                         record_id=detail.get("record_id"))


def run_labeling_functions(project: str, task: TaskSpec, functions: list[tuple[str, str]], records: list[dict],
                           timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Votes]:
    """Votes of each (name, code) labeling function over `records`, computed in a child process."""
    if not functions:
        return {}
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_child, args=(child,), daemon=True, name="wirework-labeling-functions")
    process.start()
    child.close()
    try:
        parent.send((project, task.to_dict(), functions, records))
        if not parent.poll(timeout_s):
            raise HeuristicError(f"labeling functions did not finish within {timeout_s:g} s "
                                 f"({', '.join(name for name, _ in functions)}); is one of them stuck in a loop?",
                                 project=project, task=task.name)
        status, result = parent.recv()
    except EOFError:
        raise HeuristicError("the process running labeling functions died (exit code "
                             f"{process.exitcode}) while labeling {len(records)} records",
                             project=project, task=task.name) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()
    if status == "error":
        _raise(project, task.name, result)
    if status == "crash":
        raise HeuristicError(f"running labeling functions failed: {result}", project=project, task=task.name)
    return {name: {rid: (vote[0], vote[1]) for rid, vote in votes.items()} for name, votes in result.items()}
