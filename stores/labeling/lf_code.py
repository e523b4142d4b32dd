"""Compiling labeling functions (`def lf(record) -> label | None`) written by users.

Owns: turning a code string into the `lf` it defines, reporting syntax errors and
runtime errors at the user's own line, as HeuristicErrors naming project, task and
heuristic. The compiling and the line mapping are `stores.user_code`, shared with the
Python nodes (nodes/user_code.py), which may import stores but not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..user_code import UserCodeError, UserCodeProblem, UserEntry, find_problem, load_entry
from .errors import HeuristicError

ENTRY_POINT = "lf"
_SIGNATURE = f"{ENTRY_POINT}(record)"


def lf_filename(project: str, task: str, heuristic: str) -> str:
    # A pseudo file name that tracebacks show and that we find again in their frames.
    return f"<wirework labeling function {project}/{task}/{heuristic}>"


def _heuristic_error(problem: UserCodeProblem, *, project: str, task: str, heuristic: str,
                     record_id: str | None = None) -> HeuristicError:
    return HeuristicError(problem.message, line=problem.line, source_line=problem.source_line,
                          exception_type=problem.exception_type, project=project, task=task,
                          heuristic=heuristic, record_id=record_id)


def check_labeling_function(code: str, *, project: str, task: str, heuristic: str) -> None:
    """Raise HeuristicError for a syntax error or a missing `def lf(...)`; runs nothing."""
    problem = find_problem(code, lf_filename(project, task, heuristic), ENTRY_POINT, _SIGNATURE)
    if problem is not None:
        raise _heuristic_error(problem, project=project, task=task, heuristic=heuristic)


@dataclass
class CompiledLabelingFunction:
    """A user's `lf` plus what is needed to explain its errors."""

    entry: UserEntry
    project: str
    task: str
    heuristic: str

    @property
    def func(self) -> Callable[[dict], Any]:
        return self.entry.func

    @property
    def filename(self) -> str:
        return self.entry.filename

    def error_from(self, exc: BaseException, record_id: str | None) -> HeuristicError:
        """A HeuristicError at the innermost line of *user* code in the traceback."""
        return _heuristic_error(self.entry.problem_of(exc), project=self.project, task=self.task,
                                heuristic=self.heuristic, record_id=record_id)


def compile_labeling_function(code: str, *, project: str, task: str, heuristic: str) -> CompiledLabelingFunction:
    """Run the module body of `code` and return its `lf`, errors mapped to the user's line."""
    check_labeling_function(code, project=project, task=task, heuristic=heuristic)
    namespace: dict[str, Any] = {"__name__": f"wirework_lf_{heuristic}"}
    try:
        entry = load_entry(code, lf_filename(project, task, heuristic), ENTRY_POINT, _SIGNATURE, namespace)
    except UserCodeError as exc:
        raise _heuristic_error(exc.problem, project=project, task=task, heuristic=heuristic) from exc.__cause__
    return CompiledLabelingFunction(entry, project, task, heuristic)
