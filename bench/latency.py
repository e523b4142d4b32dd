"""Trigger latency: run-now → first node running, and schedule lateness.

Starts a real `wirework up` (own Prefect server) in a temp data folder, then
- 10 run-now requests, a few seconds apart (the launcher keeps one warm worker), and
- the first runs of an every-minute schedule (scheduled time → first node running).
Baseline measured in the same run: the cold start of a fresh worker process (what a
subprocess-per-run runner such as Prefect's `serve` pays on top of its 10 s poll).
Target (issue 5): trigger → first node running ≤ 2 s.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import start_server, stop_server  # noqa: E402
from engine.server.security import bearer_headers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = {"id": "latency", "nodes": [{"id": "first", "type": "python.map",
                                        "config": {"code": "def node(r):\n    return r\n"}}], "edges": []}


def first_node_start(api: httpx.Client, run_id: str) -> datetime:
    for _ in range(600):
        run = api.get(f"/api/runs/{run_id}").json()
        starts = [n["started_at"] for n in run["nodes"] if n["started_at"]]
        if starts:
            return datetime.fromisoformat(min(starts))
        time.sleep(0.02)
    raise RuntimeError(f"run {run_id} never started a node")


def cold_worker_start_s() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import prefect.flow_engine, engine.execution.executor, nodes; nodes.default_registry()"],
                   cwd=ROOT, check=True)
    return time.perf_counter() - started


def summary(values: list[float]) -> dict:
    return {"median_s": round(statistics.median(values), 3), "max_s": round(max(values), 3), "n": len(values)}


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="wirework-latency-"))
    process, url = start_server(home)
    try:
        with httpx.Client(base_url=url, timeout=30, headers=bearer_headers(home)) as api:
            api.post("/api/workflows", json=WORKFLOW).raise_for_status()
            time.sleep(5)  # the first warm worker finishes its imports
            run_now = []
            for _ in range(10):
                sent = time.time()
                run_id = api.post("/api/workflows/latency/runs", json={}).json()["run_id"]
                run_now.append(first_node_start(api, run_id).timestamp() - sent)
                time.sleep(5)  # runs a few seconds apart: the spare is warm again
            doc = api.get("/api/workflows/latency").json()
            doc["schedule"] = {"cron": "* * * * *", "timezone": "UTC", "enabled": True}
            api.put("/api/workflows/latency", json=doc).raise_for_status()
            lateness, seen = [], set()
            deadline = time.monotonic() + 200
            while len(lateness) < 2 and time.monotonic() < deadline:
                for run in api.get("/api/runs", params={"workflow_id": "latency"}).json():
                    if run["trigger"]["trigger"] == "schedule" and run["id"] not in seen:
                        seen.add(run["id"])
                        scheduled = datetime.fromisoformat(run["trigger"]["time"])
                        lateness.append((first_node_start(api, run["id"]) - scheduled).total_seconds())
                time.sleep(0.5)
        cold = [cold_worker_start_s() for _ in range(3)]
    finally:
        stop_server(process)
    print(json.dumps({
        "benchmark": "latency",
        "run_now_to_first_node": summary(run_now),
        "schedule_lateness": summary(lateness) if lateness else None,
        "baseline_cold_worker_start": summary(cold),
        "target_s": 2.0,
    }, indent=2))


if __name__ == "__main__":
    main()
