"""Compiling and calling code that users paste into Python nodes.

Owns: turning a code string into the callable it defines (`def node(...)`), with
compile errors reported at the user's line, and mapping an exception raised inside
user code back to the user's line and source text — as NodeErrors, over the one
implementation shared with labeling functions (`stores.user_code`). Code written for
Kern AI's workflow (imports inside the function body, `def node(record: dict)`) runs as
is. Code may also read the secrets its node declares through the module-global, read-only
mapping `secrets` (`UserSecrets`); an undeclared name is a KeyError saying how to declare it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Callable

from stores.user_code import UserCodeError, UserCodeProblem, UserEntry, find_problem, load_entry

from .base import ConfigProblem, NodeError, RunCancelled

ENTRY_POINT = "node"


def code_filename(node_id: str) -> str:
    # A pseudo file name that tracebacks show and that we can find again in frames.
    return f"<wirework node {node_id}>"


def compile_problems(code: str, node_id: str, entry: str = ENTRY_POINT) -> list[ConfigProblem]:
    """Problems found without running anything: syntax errors and a missing entry."""
    problem = find_problem(code, code_filename(node_id), entry, f"{entry}(...)")
    return [] if problem is None else [ConfigProblem(problem.message, field="code", line=problem.line)]


def _node_error(problem: UserCodeProblem, node_id: str, record_id: str | None) -> NodeError:
    return NodeError(problem.message, node_id=node_id, record_id=record_id, user_line=problem.line,
                     source_line=problem.source_line, exception_type=problem.exception_type)


class UserSecrets(Mapping):
    """The `secrets` global of user code: read-only, holding only the node's declared secrets.

    Its repr names the secrets but never shows a value (values printed anyway are masked
    by the engine)."""

    __slots__ = ("_values", "_node_id")

    def __init__(self, values: Mapping[str, str] | None = None, node_id: str = ""):
        self._values = dict(values or {})
        self._node_id = node_id

    def __getitem__(self, name: str) -> str:
        try:
            return self._values[name]
        except (KeyError, TypeError):
            declared = ", ".join(f'"{n}"' for n in self._values) or "none"
            # Double quotes only: KeyError shows its message through repr().
            raise KeyError(f'the secret "{name}" is not declared by node "{self._node_id}" (declared: {declared}); '
                           f'add "{name}" to the Secrets field of this node to read it as secrets["{name}"]') from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        try:
            return name in self._values
        except TypeError:
            return False

    def __repr__(self) -> str:
        return f"<secrets: {', '.join(self._values) or 'none declared'}>"

    __str__ = __repr__


@dataclass
class UserFunction:
    """A function defined by user code, plus what is needed to explain its errors."""

    entry: UserEntry
    node_id: str

    @property
    def func(self) -> Callable[..., Any]:
        return self.entry.func

    @property
    def filename(self) -> str:
        return self.entry.filename

    @property
    def is_generator(self) -> bool:
        return self.entry.is_generator

    def error_from(self, exc: BaseException, record_id: str | None) -> NodeError:
        """A NodeError pointing at the innermost line of *user* code in the traceback."""
        return _node_error(self.entry.problem_of(exc), self.node_id, record_id)


def load_user_function(code: str, node_id: str, entry: str = ENTRY_POINT,
                       secrets: UserSecrets | None = None) -> UserFunction:
    """Execute the module body of user code and return its entry function. With `secrets`,
    the code sees it as the module global `secrets` (its own `import secrets` still wins)."""
    namespace: dict[str, Any] = {"__name__": f"wirework_node_{node_id}"}
    if secrets is not None:
        namespace["secrets"] = secrets
    try:
        loaded = load_entry(code, code_filename(node_id), entry, f"{entry}(...)", namespace)
    except UserCodeError as exc:
        raise _node_error(exc.problem, node_id, None) from exc.__cause__
    return UserFunction(loaded, node_id)


def run_generator(fn: UserFunction, records: Iterable[dict], to_record: Callable[[Any, str | None], dict],
                  check_cancelled: Callable[[], None], check_every: int = 1000) -> list[dict]:
    """Call a Kern-style `def node(record)` generator on each record (a returned dict or
    list is accepted too) and collect `to_record(item, source_record_id)` for every item;
    an exception in user code becomes a NodeError at the user's line and record."""
    out: list[dict] = []
    for batch in generate_batches(fn, [records], to_record, check_cancelled, check_every, batch_size=None):
        out.extend(batch)
    return out


def generate_batches(fn: UserFunction, batches: Iterable[Iterable[dict]],
                     to_record: Callable[[Any, str | None], dict], check_cancelled: Callable[[], None],
                     check_every: int = 1000, batch_size: int | None = 10_000) -> Iterator[list[dict]]:
    """`run_generator` over input batches, its output in batches of `batch_size` items
    (None: one batch), so a 1→N node never holds more than one output batch."""
    out: list[dict] = []
    record: dict = {}
    produced_total = 0
    try:
        for records in batches:
            for record in records:
                produced = fn.func(record)
                if produced is None:
                    continue
                for item in [produced] if isinstance(produced, dict) else produced:
                    out.append(to_record(item, record.get("id")))
                    produced_total += 1
                    if produced_total % check_every == 0:
                        check_cancelled()
                    if batch_size is not None and len(out) >= batch_size:
                        yield out
                        out = []
    except (NodeError, RunCancelled):
        raise
    except Exception as exc:
        raise fn.error_from(exc, record.get("id")) from exc
    if out or batch_size is None:
        yield out
