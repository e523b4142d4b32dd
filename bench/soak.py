"""Soak: many consecutive runs of the stock-news sentiment flow against a real `wirework up`.

Starts `wirework up` (own Prefect server, fresh data folder, demo articles only when
published here), then for each of `--runs` runs: publishes 0–4 new demo articles (seeded,
so some runs have nothing new), triggers the flow through its webhook and waits for the
run to end — back to back, because cron's finest step is one minute (200 runs on a
cron would take over three hours; the trigger path is the same warm-worker launch a
schedule uses). `--schedule` additionally enables an every-minute cron during the soak
to measure real scheduled-run lateness; scheduled runs then overlap triggered ones, so
an article can be counted by two overlapping runs (at-least-once, by design), and the
Slack-count check becomes "at least".

Reports, as JSON on stdout:
- per process kind (API server, Prefect server tree, flow-run workers), RSS sampled
  every second: first, max, last, and a sample per tenth of the runs;
- run-start lateness: trigger → run started (the worker reported it), and for
  scheduled runs, scheduled time → run started;
- run durations and statuses;
- checks: the store holds exactly the unique articles served (no duplicates, none
  lost) and the Slack messages' counts add up to the articles.

    .venv/bin/python bench/soak.py --runs 200
    .venv/bin/python bench/soak.py --runs 10          # quick check
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import start_server, stop_server  # noqa: E402
from engine.server.security import bearer_headers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FLOW = "stock_news_sentiment"
STORE = "stock-news"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# -- processes and their memory (from /proc: no extra dependency) --------------------------
def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(p) for p in f.read().split())
    except OSError:
        pass
    return out


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE / 2**20
    except OSError:
        return 0.0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def memory_snapshot(api_pid: int) -> dict[str, float]:
    """RSS in MiB: the API process itself, the Prefect server's process tree, all workers (with their children)."""
    snapshot = {"api": _rss_mb(api_pid), "prefect": 0.0, "workers": 0.0, "worker_processes": 0}
    for child in _children(api_pid):
        command = _cmdline(child)
        tree = _tree(child)
        total = sum(_rss_mb(p) for p in tree)
        if "engine.execution.worker" in command:
            snapshot["workers"] += total
            snapshot["worker_processes"] += 1
        elif "prefect" in command:
            snapshot["prefect"] += total
        else:
            snapshot["api"] += total  # e.g. a labeling-function child of the API
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in snapshot.items()}


class MemorySampler(threading.Thread):
    def __init__(self, api_pid: int, every_s: float = 1.0):
        super().__init__(daemon=True)
        self.api_pid, self.every_s = api_pid, every_s
        self.samples: list[tuple[float, dict]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), memory_snapshot(self.api_pid)))
            self.stop.wait(self.every_s)


# -- the server ------------------------------------------------------------------------------
def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(values), "p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
            "max": round(ordered[-1], 3)}


def wait_run(client: httpx.Client, run_id: str, timeout_s: float = 600) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise RuntimeError(f"run {run_id} did not end within {timeout_s} s")


_COUNT = re.compile(r"^(\d+) new stock news articles")


def soak(runs: int, schedule: bool, seed: int, keep: bool = False) -> dict:
    rng = random.Random(seed)
    home = Path(tempfile.mkdtemp(prefix="wirework-soak-"))
    process, url = start_server(home, ROOT / "flows", {"WIREWORK_DEMO_NEWS_EVERY_S": "0"})
    sampler = MemorySampler(process.pid)
    sampler.start()
    started = time.monotonic()
    client = httpx.Client(base_url=url, timeout=120, headers=bearer_headers(home))
    ok = False
    try:
        doc = client.get(f"/api/workflows/{FLOW}").json()
        doc["schedule"] = {**doc["schedule"], "cron": "* * * * *" if schedule else doc["schedule"]["cron"],
                           "enabled": schedule}
        client.put(f"/api/workflows/{FLOW}", json=doc).raise_for_status()
        hook = client.get(f"/api/workflows/{FLOW}/webhook").json()["url"]
        trigger_lateness, durations, statuses, marks, failures = [], [], {}, [], []
        triggered: set[str] = set()
        for index in range(runs):
            new = rng.choice([0, 1, 2, 3, 4])
            if new:
                client.post("/demo/news/publish", json={"count": new}).raise_for_status()
            sent = time.time()
            run_id = client.post(hook, json={"soak_run": index}).json()["run_id"]
            triggered.add(run_id)
            run = wait_run(client, run_id)
            statuses[run["status"]] = statuses.get(run["status"], 0) + 1
            if run["status"] != "completed":
                failures.append({"run": index + 1, "run_id": run_id, "status": run["status"], "error": run["error"],
                                 "nodes": {n["node_id"]: n["status"] for n in run["nodes"]},
                                 "node_errors": {n["node_id"]: n["error"] for n in run["nodes"] if n["error"]}})
            trigger_lateness.append(_parse_time(run["started_at"]).timestamp() - sent)
            if run["ended_at"]:
                durations.append((_parse_time(run["ended_at"]) - _parse_time(run["started_at"])).total_seconds())
            if index % max(1, runs // 10) == 0 or index == runs - 1:
                marks.append({"after_run": index + 1, "elapsed_s": round(time.monotonic() - started, 1),
                              **memory_snapshot(process.pid)})
        # Let a scheduled run in flight finish before counting.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and client.get("/api/runs", params={"workflow_id": FLOW, "status": "running"}).json():
            time.sleep(0.5)
        all_runs = client.get("/api/runs", params={"workflow_id": FLOW, "limit": 1000}).json()
        scheduled = [r for r in all_runs if r["trigger"]["trigger"] == "schedule"]
        schedule_lateness = [(_parse_time(r["started_at"]) - _parse_time(r["trigger"]["time"])).total_seconds()
                             for r in scheduled]
        served = [a["path"] for a in client.get("/api/demo/news").json()["articles"]]
        stored = [r["id"] for r in client.post(f"/api/stores/{STORE}/query", json={}).json()["records"]]
        messages = client.get("/api/demo/inbox", params={"channel": "news", "limit": 1000}).json()["messages"]
        counted = sum(int(m.group(1)) for m in (_COUNT.match(x["text"] or "") for x in messages) if m)
        wall = time.monotonic() - started
        checks_ok = (len(stored) == len(set(stored)) and sorted(set(stored)) == sorted(set(served))
                     and (counted == len(set(served)) if not schedule else counted >= len(set(served))))
        ok = checks_ok and set(statuses) == {"completed"}
    finally:
        sampler.stop.set()
        sampler.join()
        client.close()
        stop_server(process)
        if not keep and ok:  # a failed soak keeps its data folder (server log included) for a look
            shutil.rmtree(home, ignore_errors=True)

    def series(kind: str) -> dict:
        values = [s[kind] for _, s in sampler.samples]
        return {"first_mb": values[0], "max_mb": max(values), "last_mb": values[-1]} if values else {}

    checks = {
        "articles_served": len(set(served)),
        "records_in_store": len(stored),
        "store_has_no_duplicates": len(stored) == len(set(stored)),
        "store_equals_served": sorted(set(stored)) == sorted(set(served)),
        "slack_messages": len(messages),
        "articles_counted_in_slack": counted,
        "slack_counts_add_up": counted == len(set(served)) if not schedule else counted >= len(set(served)),
    }
    return {
        "runs_triggered": runs, "scheduled_runs": len(scheduled), "statuses": statuses,
        "wall_s": round(wall, 1), "runs_per_minute": round(runs / wall * 60, 2),
        "trigger_to_run_started_s": _summary(trigger_lateness),
        "scheduled_time_to_run_started_s": _summary(schedule_lateness),
        "run_duration_s": _summary(durations),
        "rss": {kind: series(kind) for kind in ("api", "prefect", "workers")},
        "rss_over_time": marks,
        "checks": checks,
        "failures": failures,
        "ok": ok,
        "data_folder": str(home) if keep or not ok else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--schedule", action="store_true", help="also enable an every-minute cron during the soak")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data folder (printed) for a look afterwards")
    args = parser.parse_args()
    result = soak(args.runs, args.schedule, args.seed, args.keep)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
