"""Runs/s with one vs two remote workers, and a 10,000,000-record run's memory and records/s
(issue 20 part 5).

The runs/s half:

Starts a real `wirework up` with WIREWORK_LOCAL_WORKERS=0 (its own Prefect server; the
server runs nothing itself) in a temp data folder, and `wirework worker` processes in
folders of their own, given only the API's URL and the worker token. Then, against the
3-node `hello` sample flow's webhook:

- `one_worker` (the baseline, in this same run): a burst of N webhooks (default 100)
  posted at once from 16 threads with one worker running — runs/s from the first POST
  until the last run ended, trigger → first node p50/p95;
- `two_workers`: a second worker joins and the same burst goes to a workflow of its own.

Every POST carries a sequence number and every run is matched back to it (`lost` and
`duplicated`, 0 expected), and each run names the worker that ran it (`by_worker`).
On one machine both workers share its cores with the API and Prefect, so a second worker
adds slots and a second run host, not CPU; on separate machines it adds both.

Measured on the shared 2-core machine at load average 9–16 (other engineers' tests
running): 1.53 runs/s with one worker, 1.54 with two (ratio 1.01, 51 / 49 runs each), 0
lost, 0 duplicated — on one machine the API (forwarding Prefect's calls too) and Prefect
are the limit, not the workers' slots.

The records half (bench/records_run.py): a python.yield → python.map → store.write run
of `--records` (default 10,000,000) records through a real `wirework up` (its local run
host), the peak RSS of every process that handles records (the API, the run host, the
run's process; /proc sampled every 0.2 s) and records/s. The baseline, in this same run:
the same flow at `--baseline-records` (default 1,000,000: 10M did not fit in memory
before) from a `git worktree` of `--baseline-commit` (default: the commit before batches
and spilling, issue 20 part 3). Both servers get WIREWORK_MAX_BODY_MB=1024, since the
baseline's store.write sends its whole input in one request. Targets: every
record-handling process under 700 MB; records/s at least 80% of the baseline's.

Measured (records half) at load average 11–19: 10,000,000 records, peaks run process
394 MB, run host 192 MB, API 665 MB; 24,221 records/s vs the baseline's 8,671 at
1,000,000 records (whose run process peaked at 5,329 MB and API at 1,065 MB).

Options: `--part runs|records|both` (default both), `--burst N`, `--concurrency N` (per
worker, default 8), `--records N`, `--baseline-records N`, `--baseline-commit REV`.
Progress on stderr, JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import ROOT, start_server, stop_server  # noqa: E402
from bench.throughput import Driver, process_rss_mb, say  # noqa: E402
from engine.server.worker_credential import read_worker_token  # noqa: E402

# What a worker on another machine would not have of the server's.
_SERVER_ENV = ("WIREWORK_HOME", "WIREWORK_API_TOKEN", "WIREWORK_WORKER_TOKEN", "PREFECT_API_URL",
               "PREFECT_API_AUTH_STRING", "PREFECT_HOME", "WIREWORK_LOCAL_WORKERS")


def start_worker(url: str, token: str, name: str, concurrency: int) -> subprocess.Popen:
    home = Path(tempfile.mkdtemp(prefix=f"wirework-scale-{name}-"))
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ENV}
    env.update({"WIREWORK_HOME": str(home), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    log = open(home / "worker.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "worker", "--api", url, "--token", token,
                                "--name", name, "--concurrency", str(concurrency)],
                               cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "takes runs of pool" in (home / "worker.log").read_text(errors="replace"):
            return process
        if process.poll() is not None:
            raise SystemExit(f"worker {name} exited with {process.returncode}; see {home / 'worker.log'}")
        time.sleep(0.2)
    raise SystemExit(f"worker {name} did not start; see {home / 'worker.log'}")


def stop_worker(process: subprocess.Popen) -> None:
    stop_server(process)  # the same SIGTERM, then SIGKILL of its group after 60 s


def wait_for_workers(api: httpx.Client, names: set[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        detail = api.get("/api/health").json()["components"]["run_launcher"]["detail"]
        if names <= {w["name"] for w in detail["run_processes"]["workers"]}:
            return
        time.sleep(0.5)
    raise SystemExit(f"workers {sorted(names)} did not beat within {timeout_s:.0f} s")


def burst(driver: Driver, runs: int, label: str) -> dict[str, Any]:
    say(f"{label}: burst of {runs} webhooks")
    first = time.time()
    with ThreadPoolExecutor(16) as pool:
        seqs = list(pool.map(lambda _: driver.post(), range(runs)))
    driver.wait_settled(seqs, 1800)
    measured = driver.measure(seqs)
    elapsed = measured["last_end"] - first
    by_worker: dict[str, int] = {}
    for seq in seqs:
        run_id = driver.accepted.get(seq)
        if run_id is not None:
            worker = driver.api.get(f"/api/runs/{run_id}").json().get("worker") or {}
            by_worker[worker.get("name", "none")] = by_worker.get(worker.get("name", "none"), 0) + 1
    lost, duplicated = driver.lost_and_duplicated()
    result = {"runs": runs, "accepted": len(driver.accepted), "settled_s": round(elapsed, 2),
              "runs_per_s": round(runs / elapsed, 2) if elapsed > 0 else None,
              "trigger_to_first_node": measured["trigger_to_first_node"], "statuses": measured["statuses"],
              "by_worker": by_worker, "lost": lost, "duplicated": duplicated,
              "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    say(f"{label}: {result}")
    return result


def _default_baseline() -> str:
    """The parent of the commit that brought record batches (engine/execution/record_spool.py)."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", "engine/execution/record_spool.py"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


def records_half(args: argparse.Namespace) -> dict[str, Any]:
    from bench.records_run import measure

    commit = subprocess.run(["git", "rev-parse", args.baseline_commit or _default_baseline()], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    env = {"WIREWORK_MAX_BODY_MB": "1024"}
    tree = Path(tempfile.mkdtemp(prefix="wirework-scale-baseline-")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        baseline = measure(tree, args.baseline_records, Path(tempfile.mkdtemp(prefix="wirework-scale-base-")),
                           "baseline", env=env)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    batched = measure(ROOT, args.records, Path(tempfile.mkdtemp(prefix="wirework-scale-records-")), "batched",
                      env=env)
    ratio = (round(batched["records_per_s"] / baseline["records_per_s"], 2)
             if batched.get("records_per_s") and baseline.get("records_per_s") else None)
    peak = batched.get("record_handling_peak_mb")
    return {"records": batched, "baseline": {**baseline, "commit": commit},
            "records_per_s_ratio": ratio,
            "targets": {"every_record_process_under_700_mb": peak is not None and peak < 700,
                        "records_per_s_at_least_80_percent": ratio is not None and ratio >= 0.8}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("runs", "records", "both"), default="both")
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--baseline-records", type=int, default=1_000_000)
    parser.add_argument("--baseline-commit", default=None)
    args = parser.parse_args()
    records = records_half(args) if args.part in ("records", "both") else None
    runs = runs_half(args) if args.part in ("runs", "both") else None
    print(json.dumps({"benchmark": "scale", "load_average": [round(x, 2) for x in os.getloadavg()],
                      "cpus": os.cpu_count(), **({"runs": runs} if runs else {}),
                      **({"records": records} if records else {})}, indent=2))


def runs_half(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="wirework-scale-server-"))
    say(f"starting wirework up (WIREWORK_LOCAL_WORKERS=0) in {home}")
    server, url = start_server(home, env={"WIREWORK_LOCAL_WORKERS": "0"})
    workers: list[subprocess.Popen] = []
    result: dict[str, Any] = {}
    try:
        token = read_worker_token(home) or ""
        drivers = {phase: Driver(url, home, phase) for phase in ("warmup", "one", "two")}
        for driver in drivers.values():
            driver.setup()
        workers.append(start_worker(url, token, "scale-a", args.concurrency))
        wait_for_workers(drivers["one"].api, {"scale-a"})
        warm = [drivers["warmup"].post() for _ in range(3)]  # the worker's run host is warm before we time
        drivers["warmup"].wait_settled(warm, 300)
        result["one_worker"] = burst(drivers["one"], args.burst, "one worker")
        workers.append(start_worker(url, token, "scale-b", args.concurrency))
        wait_for_workers(drivers["two"].api, {"scale-a", "scale-b"})
        time.sleep(3)  # the second worker's run host finishes its imports
        result["two_workers"] = burst(drivers["two"], args.burst, "two workers")
        result["rss_mb_server"] = process_rss_mb(server.pid)
    finally:
        for worker in workers:
            stop_worker(worker)
        stop_server(server)
    one, two = result["one_worker"]["runs_per_s"], result["two_workers"]["runs_per_s"]
    return {
        "flow": "hello",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs_per_s_one_worker": one,
        "runs_per_s_two_workers": two,
        "ratio": round(two / one, 2) if one and two else None,
        "lost": result["one_worker"]["lost"] + result["two_workers"]["lost"],
        "duplicated": result["one_worker"]["duplicated"] + result["two_workers"]["duplicated"],
        **result,
    }


if __name__ == "__main__":
    main()
