"""Compiling code that users write, and finding their own line in its errors.

Owns the one implementation behind Python nodes (`def node(...)`, nodes/user_code.py) and
labeling functions (`def lf(record)`, stores/labeling/lf_code.py): checking code without
running it, executing its module body and taking its entry function, and mapping any
exception raised inside it (at import time or per record) to the user's line and source
text. It lives in stores/, the lowest layer that runs user code (labeling functions), so
nodes/ can use it too (dependencies point engine → nodes → stores); each caller turns a
`UserCodeProblem` into its own typed error (NodeError, HeuristicError).

Standard library only: the labeling-function child process imports it without the
stores package's `__init__` (see stores/labeling/lf_child.py).
"""

from __future__ import annotations

import ast
import functools
import linecache
import traceback
from dataclasses import dataclass
from typing import Any, Callable

_GENERATOR_FLAG = 0x20  # inspect.CO_GENERATOR, without importing inspect


@dataclass(frozen=True)
class UserCodeProblem:
    """What went wrong in user code, located in it: `line` (1-based) and `source_line`
    (its stripped text) are the user's own, where known."""

    message: str
    line: int | None = None
    source_line: str | None = None
    exception_type: str | None = None


class UserCodeError(Exception):
    """Loading user code failed; `problem` says where (the cause is kept as __cause__)."""

    def __init__(self, problem: UserCodeProblem):
        super().__init__(problem.message)
        self.problem = problem


# Remembered per (code, filename, entry, signature): the answer depends on nothing else and
# is immutable. Every validation checks every Python node's code again (opening a workflow,
# each edit's debounced validation), and parsing is most of that: ~0.1 s for 1,000 nodes.
@functools.lru_cache(maxsize=4096)
def find_problem(code: str, filename: str, entry: str, signature: str) -> UserCodeProblem | None:
    """A syntax error or a missing `def <entry>`, found without running anything.
    `signature` is how the message shows the entry (e.g. "node(...)", "lf(record)")."""
    try:
        tree = ast.parse(code, filename=filename)
    except SyntaxError as exc:
        return UserCodeProblem(f"SyntaxError: {exc.msg}", line=exc.lineno, exception_type="SyntaxError")
    except ValueError as exc:  # e.g. the source contains null bytes
        return UserCodeProblem(f"invalid code: {exc}")
    if not any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == entry for s in tree.body):
        return UserCodeProblem(f"the code must define a function `def {signature}`", line=1)
    return None


@dataclass
class UserEntry:
    """The entry function a piece of user code defines, and the pseudo file name its
    frames carry (so its errors can be traced back to the user's lines)."""

    func: Callable[..., Any]
    filename: str

    @property
    def is_generator(self) -> bool:
        code = getattr(self.func, "__code__", None)
        return bool(code is not None and code.co_flags & _GENERATOR_FLAG)

    def problem_of(self, exc: BaseException) -> UserCodeProblem:
        """The exception located at the innermost line of *user* code in its traceback."""
        return locate(exc, self.filename)


def locate(exc: BaseException, filename: str) -> UserCodeProblem:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    source_line = linecache.getline(filename, line).strip() if line else None
    return UserCodeProblem(f"{type(exc).__name__}: {exc}", line=line, source_line=source_line or None,
                           exception_type=type(exc).__name__)


def load_entry(code: str, filename: str, entry: str, signature: str, namespace: dict[str, Any]) -> UserEntry:
    """Execute the module body of `code` in `namespace` and return its `entry` function.

    Raises UserCodeError for a syntax error, an exception in the module body (e.g. a
    failing import; at the user's line, the exception as cause) or a missing entry."""
    # Register the source so tracebacks, and `locate`, can show the user's lines.
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    try:
        compiled = compile(code, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise UserCodeError(UserCodeProblem(f"SyntaxError: {exc.msg}", line=exc.lineno,
                                            exception_type="SyntaxError")) from None
    try:
        exec(compiled, namespace)
    except Exception as exc:  # an error at import time of the user's module body
        raise UserCodeError(locate(exc, filename)) from exc
    func = namespace.get(entry)
    if not callable(func):
        raise UserCodeError(UserCodeProblem(f"the code must define a function `def {signature}`"))
    return UserEntry(func, filename)
