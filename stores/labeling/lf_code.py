"""Compiling labeling functions (`def lf(record) -> label | None`) written by users.

Owns: turning a code string into the `lf` it defines, reporting syntax errors and
runtime errors at the user's own line. The same idea as `nodes/user_code.py`, kept
separate on purpose: stores/ must not import nodes/ (dependencies point
engine → nodes → stores), and the errors here name project, task and heuristic.
"""

from __future__ import annotations

import ast
import linecache
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from .errors import HeuristicError

ENTRY_POINT = "lf"


def lf_filename(project: str, task: str, heuristic: str) -> str:
    # A pseudo file name that tracebacks show and that we find again in their frames.
    return f"<wirework labeling function {project}/{task}/{heuristic}>"


def check_labeling_function(code: str, *, project: str, task: str, heuristic: str) -> None:
    """Raise HeuristicError for a syntax error or a missing `def lf(...)`; runs nothing."""
    names = dict(project=project, task=task, heuristic=heuristic)
    try:
        tree = ast.parse(code, filename=lf_filename(project, task, heuristic))
    except SyntaxError as exc:
        raise HeuristicError(f"SyntaxError: {exc.msg}", line=exc.lineno, exception_type="SyntaxError",
                             **names) from None
    except ValueError as exc:  # e.g. null bytes in the source
        raise HeuristicError(f"invalid code: {exc}", **names) from None
    if not any(isinstance(s, ast.FunctionDef) and s.name == ENTRY_POINT for s in tree.body):
        raise HeuristicError(f"the code must define a function `def {ENTRY_POINT}(record)`", line=1, **names)


@dataclass
class CompiledLabelingFunction:
    """A user's `lf` plus what is needed to explain its errors."""

    func: Callable[[dict], Any]
    filename: str
    project: str
    task: str
    heuristic: str

    def error_from(self, exc: BaseException, record_id: str | None) -> HeuristicError:
        """A HeuristicError at the innermost line of *user* code in the traceback."""
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == self.filename:
                line = frame.lineno
        source = linecache.getline(self.filename, line).strip() if line else None
        return HeuristicError(f"{type(exc).__name__}: {exc}", line=line, source_line=source or None,
                              exception_type=type(exc).__name__, project=self.project, task=self.task,
                              heuristic=self.heuristic, record_id=record_id)


def compile_labeling_function(code: str, *, project: str, task: str, heuristic: str) -> CompiledLabelingFunction:
    """Run the module body of `code` and return its `lf`, errors mapped to the user's line."""
    check_labeling_function(code, project=project, task=task, heuristic=heuristic)
    filename = lf_filename(project, task, heuristic)
    # Register the source so tracebacks, and our error mapping, can show the user's lines.
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    compiled = compile(code, filename, "exec", dont_inherit=True)
    namespace: dict[str, Any] = {"__name__": f"wirework_lf_{heuristic}"}
    holder = CompiledLabelingFunction(lambda r: None, filename, project, task, heuristic)
    try:
        exec(compiled, namespace)
    except Exception as exc:  # an error in the module body, e.g. a failing import
        raise holder.error_from(exc, None) from exc
    holder.func = namespace[ENTRY_POINT]
    return holder
