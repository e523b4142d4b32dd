"""Engine overhead: records through map → map → aggregate vs a plain Python loop.

Prints JSON with
- the marginal per-record cost of the engine vs the plain loop calling the same user
  functions (slope between a small and a large run, so fixed costs cancel out), and
- the fixed cost of a 10-node run (one record) against a real local Prefect server.
Targets (issue 3): marginal ratio ≤ 1.2, fixed 10-node cost ≤ 2.5 s.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._prefect import local_prefect_server  # noqa: E402

GEN = '''
def node(record):
    n = record["payload"]["n"]
    for i in range(n):
        yield {"id": str(i), "title": f"Headline number {i} about ACME", "score": i % 7}
'''
MAP1 = '''
def node(record):
    record["upper"] = record["title"].upper()
    return record
'''
MAP2 = '''
def node(record):
    if record["score"] == 0:
        return None
    return {"id": record["id"], "score": record["score"] * 2, "len": len(record["upper"])}
'''
AGG = '''
def node(records):
    return {"id": "total", "count": len(records), "sum": sum(r["score"] for r in records)}
'''


def pipeline():
    from engine import Workflow

    return Workflow.model_validate({
        "id": "bench", "nodes": [
            {"id": "gen", "type": "python.yield", "config": {"code": GEN}},
            {"id": "m1", "type": "python.map", "config": {"code": MAP1}},
            {"id": "m2", "type": "python.map", "config": {"code": MAP2}},
            {"id": "agg", "type": "python.aggregate", "config": {"code": AGG}},
        ], "edges": [{"source": "gen", "target": "m1"}, {"source": "m1", "target": "m2"},
                     {"source": "m2", "target": "agg"}]})


def chain(length: int):
    from engine import Workflow

    nodes = [{"id": f"n{i}", "type": "python.map", "config": {"code": "def node(r):\n    return r\n"}}
             for i in range(length)]
    edges = [{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(length - 1)]
    return Workflow.model_validate({"id": "chain", "nodes": nodes, "edges": edges})


def plain_loop(n: int) -> float:
    """The same user functions, called by a plain loop: the baseline."""
    fns = {}
    for name, code in (("gen", GEN), ("m1", MAP1), ("m2", MAP2), ("agg", AGG)):
        namespace: dict = {}
        exec(code, namespace)
        fns[name] = namespace["node"]
    started = time.perf_counter()
    records = list(fns["gen"]({"id": "t", "payload": {"n": n}}))
    records = [fns["m1"](r) for r in records]
    records = [r for r in (fns["m2"](r) for r in records) if r is not None]
    fns["agg"](records)
    return time.perf_counter() - started


def engine_run(workflow, n: int, span: bool = False) -> float:
    """Wall time of a whole run, or (span=True) the time from the first node's start to
    the last node's end: the record-dependent part, without the flow run's fixed floor."""
    from engine.execution.local_run import run_workflow

    started = time.perf_counter()
    summary = run_workflow(workflow, {"n": n})
    elapsed = time.perf_counter() - started
    assert summary.status == "completed", summary.error
    if span:
        nodes = summary.nodes.values()
        return (max(r.ended_at for r in nodes) - min(r.started_at for r in nodes)).total_seconds()
    return elapsed


def main() -> None:
    small, large, repeats = 1_000, 100_000, 5
    with local_prefect_server():
        workflow = pipeline()
        engine_run(workflow, 10)  # warm: imports, Prefect client, flow registration
        gc.freeze()  # as `wirework run` and the run workers do after their imports
        engine_small = statistics.median(engine_run(workflow, small, span=True) for _ in range(repeats))
        engine_large = statistics.median(engine_run(workflow, large, span=True) for _ in range(repeats))
        engine_wall = statistics.median(engine_run(workflow, large) for _ in range(repeats))
        plain_small = statistics.median(plain_loop(small) for _ in range(repeats))
        plain_large = statistics.median(plain_loop(large) for _ in range(repeats))
        ten = chain(10)
        engine_run(ten, 1)
        fixed_10 = statistics.median(engine_run(ten, 1) for _ in range(repeats))
    engine_marginal = (engine_large - engine_small) / (large - small)
    plain_marginal = (plain_large - plain_small) / (large - small)
    print(json.dumps({
        "benchmark": "engine",
        "records": large,
        "engine_wall_s": round(engine_wall, 3),
        "engine_node_span_s": round(engine_large, 3),
        "plain_loop_s": round(plain_large, 3),
        "engine_marginal_us_per_record": round(engine_marginal * 1e6, 3),
        "plain_marginal_us_per_record": round(plain_marginal * 1e6, 3),
        "marginal_ratio": round(engine_marginal / plain_marginal, 3),
        "marginal_ratio_target": 1.2,
        "fixed_cost_10_node_run_s": round(fixed_10, 3),
        "fixed_cost_target_s": 2.5,
    }, indent=2))


if __name__ == "__main__":
    main()
