"""Parallel map: a CPU-bound python.map over N records, serial vs `parallelism` on Dask.

    .venv/bin/python bench/parallel_map.py [--records N] [--partitions P] [--repeats R]

Runs the same workflow (python.yield of N records → python.map → python.aggregate)
through the real executor against a local Prefect server, R times each way, alternating
serial and Dask runs so both see the same machine load. Prints JSON: per way the median
map-node time and whole-run time; the Dask run's first map time (cold: the forkserver
starts and imports Dask and Prefect — what every run pays, each run being a fresh
process) and the later ones (warm: only the LocalCluster starts — what a second parallel
node of the same run pays); the
speed-up of the map node (serial / dask); the load average before and after. The map's
outputs are checked equal each time, so the figures are of runs that did the same work.

The Dask way pays per node: a LocalCluster (scheduler, TLS, P worker processes forked
from the forkserver), one Prefect task run per partition, and pickling the records to
the workers and back. On a machine whose cores are busy with other work, the workers
get no more CPU than the serial loop did and the Dask way is slower; it pays off only
when the map's CPU work dominates those fixed costs and idle cores exist.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._prefect import local_prefect_server  # noqa: E402

GEN = '''
def node(record):
    for i in range(record["payload"]["n"]):
        yield {"id": str(i), "n": i}
'''
# CPU-bound and pure Python: ~WORK iterations of arithmetic per record (the GIL-bound case
# where threads cannot help and processes can).
CPU_MAP = '''
def node(record):
    x = record["n"]
    acc = 0
    for k in range(WORK):
        acc = (acc * 31 + x + k) % 1000003
    return {"id": record["id"], "n": x, "acc": acc}
'''
COLLECT = '''
def node(records):
    return {"id": "digest", "count": len(records), "accs": [r["acc"] for r in records]}
'''


def build(partitions: int | None, work: int):
    from engine import Workflow

    config: dict = {"code": CPU_MAP.replace("WORK", str(work))}
    if partitions:
        config["parallelism"] = {"engine": "dask", "partitions": partitions}
    return Workflow.model_validate({
        "id": f"bench-parallel-{'dask' if partitions else 'serial'}", "nodes": [
            {"id": "gen", "type": "python.yield", "config": {"code": GEN}},
            {"id": "map", "type": "python.map", "config": config},
            {"id": "collect", "type": "python.aggregate", "config": {"code": COLLECT}},
        ], "edges": [{"source": "gen", "target": "map"}, {"source": "map", "target": "collect"}]})


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def timed_run(workflow, records: int) -> tuple[float, float, list]:
    from engine.execution.local_run import run_workflow

    started = time.monotonic()
    summary = run_workflow(workflow, {"n": records})
    total = time.monotonic() - started
    if summary.status != "completed":
        raise SystemExit(f"{workflow.id} failed: {summary.error} {summary.nodes['map'].error}")
    node = summary.nodes["map"]
    return (node.ended_at - node.started_at).total_seconds(), total, summary.nodes["collect"].sample[0]["accs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--work", type=int, default=2_000, help="loop iterations of the map per record")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    before = load_average()
    serial_wf, dask_wf = build(None, args.work), build(args.partitions, args.work)
    serial_map: list[float] = []
    serial_run: list[float] = []
    dask_map: list[float] = []
    dask_run: list[float] = []
    with local_prefect_server():
        timed_run(serial_wf, 10)  # warm Prefect's client and the engine's imports (not Dask's)
        for _ in range(args.repeats):
            s_map, s_total, s_out = timed_run(serial_wf, args.records)
            d_map, d_total, d_out = timed_run(dask_wf, args.records)
            if s_out != d_out:
                raise SystemExit("the Dask run's output differs from the serial run's")
            serial_map.append(s_map)
            serial_run.append(s_total)
            dask_map.append(d_map)
            dask_run.append(d_total)
    serial_median, dask_warm = statistics.median(serial_map), statistics.median(dask_map[1:] or dask_map)
    print(json.dumps({
        "records": args.records, "work_per_record": args.work, "partitions": args.partitions,
        "cpus": len(os.sched_getaffinity(0)), "repeats": args.repeats,
        "serial": {"map_s_median": round(serial_median, 3), "run_s_median": round(statistics.median(serial_run), 3),
                   "map_s": [round(x, 3) for x in serial_map]},
        "dask": {"map_s_first": round(dask_map[0], 3), "map_s_warm_median": round(dask_warm, 3),
                 "run_s_median": round(statistics.median(dask_run), 3), "map_s": [round(x, 3) for x in dask_map]},
        "speedup_map_warm": round(serial_median / dask_warm, 3),
        "speedup_map_first": round(serial_median / dask_map[0], 3),
        "loadavg_before": before, "loadavg_after": load_average(),
    }, indent=2))


if __name__ == "__main__":
    main()
