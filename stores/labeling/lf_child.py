"""The child process that evaluates labeling functions (started by lf_runner.py).

Reads one JSON request from stdin — `{"project", "task", "functions": [[name, code]...],
"records"}` — and writes one JSON answer to its stdout: `{"status": "ok", "result":
{name: {record_id: [label, confidence]}}}`, `{"status": "error", "result":
HeuristicError fields}` or `{"status": "crash", "result": "<exception>"}`. JSON, not
pickle: the parent must never unpickle what user code could have written. What user code
prints goes to stderr, so it cannot corrupt the answer.

Kept lean (a call costs the interpreter start plus numpy): lf_runner starts it as a
script, and then it imports only errors, lf_code, tasks and heuristics, under bare
`stores`/`stores.labeling` packages, without running those packages' `__init__` (which
would import DuckDB, pyarrow and the service). `python -m stores.labeling.lf_child`
works too (slower). It never imports torch or transformers.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:  # started as a script by lf_runner
    import types

    _here = os.path.dirname(os.path.abspath(__file__))
    # The script's folder must not shadow stdlib modules (this package has a statistics.py).
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    for _name, _path in (("stores", os.path.dirname(_here)), ("stores.labeling", _here)):
        if _name not in sys.modules:
            _module = types.ModuleType(_name)
            _module.__path__ = [_path]
            sys.modules[_name] = _module
    __package__ = "stores.labeling"

from typing import Any  # noqa: E402

import orjson  # noqa: E402

from .errors import HeuristicError  # noqa: E402
from .heuristics import LabelingFunction, Votes  # noqa: E402
from .tasks import TaskSpec  # noqa: E402


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


def main() -> None:
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() in a labeling function goes to stderr, never into the answer
    try:
        request = orjson.loads(sys.stdin.buffer.read())
        status, result = evaluate(request["project"], request["task"],
                                  [(name, code) for name, code in request["functions"]], request["records"])
        out = orjson.dumps({"status": status, "result": result})
    except BaseException as exc:  # anything else (e.g. a vote JSON cannot carry) still reaches the parent
        out = orjson.dumps({"status": "crash", "result": f"{type(exc).__name__}: {exc}"})
    answer.write(out)
    answer.flush()


if __name__ == "__main__":
    main()
