"""Runs by the hundred (issue 15): webhook → first node, bursts, offered load, memory.

Starts a real `wirework up` (its own Prefect server) in a temp data folder with the
3-node `hello` sample flow, and drives it through its webhook:

- `sequential`: 10 webhooks one after another, each waited for — POST → first node
  started (the node's `started_at`, stamped by the run process; same clock).
- `burst`: N webhooks (default 200) posted at once from 16 threads — runs/s from the
  first POST until every run has settled, trigger → first node p50/p95, and
  `lost`/`duplicated`: every POST carries a sequence number in its payload, and every
  run of the workflow is matched back to it (0 and 0 expected).
- `offered`: webhooks at a steady 10/s for 20 s — trigger → first node p50/p95.
- `rss_mb`: resident memory of every process of the server (API, Prefect, embedding
  service, run host) before the first webhook and after the last run settled.
- `burst.prefect_record`: how long after the last run of the burst settled Prefect's
  record of the burst was complete — every run's flow run in a final state and all its
  task runs out of Running (asked of Prefect's API through the server's Prefect proxy,
  with the worker credential) — the Prefect requests the API's writer made per run
  (engine/server/services/prefect_writer.py), and CPU per run up to that moment
  (`cpu_s_per_run` stops when the runs settled: the record is written after them).

Baseline, measured in this same run: the same measurements (a smaller burst) against a
server started with `WIREWORK_RUN_PROCESSES=spawn`, i.e. a fresh Python process per run
with one warm spare — how wirework ran runs before the forkserver (with the rest of
today's per-run cuts: no heartbeats, batched events, Prefect's IMMEDIATE transactions).

`--baseline-env NAME=VALUE` (repeatable) measures another baseline instead, e.g.
`WIREWORK_RUN_NODES=prefect` plus the Prefect server services wirework turns off
(engine/config/prefect_env.py UNUSED_SERVER_SERVICES) set back to `true`: a run's nodes as
Prefect tasks of a Prefect flow run, Prefect's bookkeeping on the run's critical path, as
before issue 15's last step.

Targets (issue 15): ≥ 20 runs/s in the burst, idle p50 ≤ 50 ms, p95 trigger → start
≤ 2 s at 10 runs/s offered, lost = duplicated = 0. Progress on stderr, JSON on stdout.
Options: `--burst N`, `--baseline-burst N` (0 skips the baseline), `--offered-s S`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import start_server, stop_server  # noqa: E402
from engine.execution.prefect_record import IDEMPOTENCY_PREFIX, use_csrf_token  # noqa: E402
from engine.server.security import bearer_headers  # noqa: E402
from engine.server.worker_credential import read_worker_token  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_ID = "hello"
TERMINAL = {"completed", "failed", "crashed", "cancelled"}
PREFECT_FINAL = ["COMPLETED", "FAILED", "CANCELLED", "CRASHED"]
RECORD_TIMEOUT_S = 600.0
STARTED = time.perf_counter()
TICKS = os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def spread(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": round(statistics.median(values), 3),
            "p95_s": round(percentile(values, 0.95), 3), "max_s": round(max(values), 3)}


def process_rss_mb(root_pid: int) -> dict[str, float]:
    """Resident MB of the server process and everything below it, summed per kind."""
    return _per_kind(root_pid, "rss")


def process_cpu_s(root_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server's processes, summed per kind (user + system,
    with their reaped children: a forked run's CPU counts for the run host)."""
    return _per_kind(root_pid, "cpu")


def _per_kind(root_pid: int, what: str) -> dict[str, float]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    totals: dict[str, float] = {}
    stack = [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if what == "rss":
                value = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                             if line.startswith("VmRSS:")) / 1024
            else:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                value = sum(int(v) for v in fields[11:15]) / TICKS
        except (OSError, StopIteration, ValueError):
            continue
        kind = _kind(cmdline, pid == root_pid)
        totals[kind] = totals.get(kind, 0.0) + value
    return {kind: round(value, 1) for kind, value in sorted(totals.items())}


def _kind(cmdline: str, is_root: bool) -> str:
    if is_root:
        return "api"
    for marker, kind in (("prefect", "prefect"), ("engine.embedding", "embedding_service"),
                         ("engine.execution.run_host", "run_host"), ("engine.execution.worker", "run_workers"),
                         ("bwrap", "sandbox")):
        if marker in cmdline:
            return kind
    return "other"


class Driver:
    """Posts webhooks carrying a sequence number and matches runs back to them."""

    def __init__(self, url: str, home: Path, phase: str):
        # A workflow per phase: each phase's runs fit in one runs list (at most 1,000).
        self.workflow_id = f"{WORKFLOW_ID}-{phase}"
        self.api = httpx.Client(base_url=url, timeout=60, headers=bearer_headers(home))
        self.hooks = httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=32))
        self.hook_path = ""
        self.sent: dict[int, float] = {}
        self.accepted: dict[int, str] = {}
        self.refused: list[tuple[int, int]] = []
        self._lock = threading.Lock()
        self._seq = 0

    def setup(self) -> None:
        flow = {**json.loads((ROOT / "flows" / "hello.json").read_text()), "id": self.workflow_id}
        self.api.post("/api/workflows", json=flow).raise_for_status()
        url = self.api.get(f"/api/workflows/{self.workflow_id}/webhook").json()["url"]
        self.hook_path = "/" + url.split("/", 3)[3]

    def post(self) -> int:
        with self._lock:
            self._seq += 1
            seq = self._seq
        sent = time.time()
        response = self.hooks.post(self.hook_path, json={"seq": seq})
        with self._lock:
            self.sent[seq] = sent
            if response.status_code == 202:
                self.accepted[seq] = response.json()["run_id"]
            else:
                self.refused.append((seq, response.status_code))
        return seq

    def wait_settled(self, seqs: list[int], timeout_s: float) -> float:
        """Wall time when the last of these runs settled."""
        deadline = time.monotonic() + timeout_s
        pending = {self.accepted[s] for s in seqs if s in self.accepted}
        last_report = 0.0
        while pending and time.monotonic() < deadline:
            runs = self.api.get("/api/runs", params={"workflow_id": self.workflow_id, "limit": 1000}).json()
            done = {r["id"] for r in runs if r["status"] in TERMINAL}
            pending -= done
            if time.monotonic() - last_report > 5:
                say(f"  {len(seqs) - len(pending)}/{len(seqs)} settled")
                last_report = time.monotonic()
            if pending:
                time.sleep(1.0)  # a list of 1,000 runs is work for the server too
        if pending:
            raise SystemExit(f"{len(pending)} runs did not settle within {timeout_s:.0f} s")
        return time.time()

    def measure(self, seqs: list[int]) -> dict[str, Any]:
        """Per run: trigger → first node started, end time, status."""
        starts, ends, statuses = [], [], {}
        for seq in seqs:
            run_id = self.accepted.get(seq)
            if run_id is None:
                continue
            run = self.api.get(f"/api/runs/{run_id}").json()
            statuses[run["status"]] = statuses.get(run["status"], 0) + 1
            node_starts = [_ts(n["started_at"]) for n in run["nodes"] if n["started_at"]]
            if node_starts:
                starts.append(min(node_starts) - self.sent[seq])
            if run["ended_at"]:
                ends.append(_ts(run["ended_at"]))
        return {"trigger_to_first_node": spread(starts), "statuses": statuses, "last_end": max(ends, default=0.0)}

    def lost_and_duplicated(self) -> tuple[int, int]:
        runs = self.api.get("/api/runs", params={"workflow_id": self.workflow_id, "limit": 1000}).json()
        seen: dict[int, int] = {}
        for run in runs:
            payload = (run.get("trigger") or {}).get("payload") or {}
            if isinstance(payload, dict) and "seq" in payload:
                seen[payload["seq"]] = seen.get(payload["seq"], 0) + 1
        lost = sum(1 for seq in self.sent if seq not in seen)
        duplicated = sum(count - 1 for count in seen.values() if count > 1)
        return lost, duplicated


class PrefectRecord:
    """Whether Prefect's record of a set of runs is complete, asked through the server's
    Prefect proxy (`/api/prefect/…`, the worker credential: what remote workers use)."""

    def __init__(self, url: str, home: Path):
        token = read_worker_token(home)
        self.client = httpx.Client(base_url=f"{url}/api/prefect", timeout=60,
                                   headers={"Authorization": f"Bearer {token}"})

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body)
        if response.status_code == 403 and "CSRF" in response.text:
            use_csrf_token(self.client)
            response = self.client.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def complete(self, run_ids: list[str], nodes_per_run: int) -> bool:
        flow_runs: list[dict[str, Any]] = []
        for start in range(0, len(run_ids), 200):  # Prefect's page size
            keys = [IDEMPOTENCY_PREFIX + r for r in run_ids[start:start + 200]]
            flow_runs += self._post("/flow_runs/filter", {"flow_runs": {"idempotency_key": {"any_": keys}},
                                                          "limit": 200})
        if len(flow_runs) < len(run_ids) or any(f["state_type"] not in PREFECT_FINAL for f in flow_runs):
            return False
        ended = self._post("/task_runs/count", {
            "flow_runs": {"id": {"any_": [f["id"] for f in flow_runs]}},
            "task_runs": {"state": {"type": {"any_": [*PREFECT_FINAL, "PENDING"]}}}})
        return int(ended) >= len(run_ids) * nodes_per_run

    def wait_complete(self, run_ids: list[str], nodes_per_run: int, timeout_s: float) -> float | None:
        """Wall time when the record was first seen complete (None: not within timeout_s)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.complete(run_ids, nodes_per_run):
                return time.time()
            time.sleep(0.5)
        return None


def _writer_requests(driver: "Driver") -> int | None:
    component = driver.api.get("/api/health").json()["components"].get("prefect_record") or {}
    return (component.get("detail") or {}).get("requests")


def measure_server(env: dict[str, str], burst: int, offered_s: float, label: str) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"wirework-throughput-{label}-"))
    say(f"{label}: starting wirework up in {home} ({env or 'defaults'})")
    process, url = start_server(home, env=env)
    result: dict[str, Any] = {"env": env}
    try:
        drivers = {phase: Driver(url, home, phase) for phase in ("sequential", "burst", "offered")}
        for each in drivers.values():
            each.setup()
        driver = drivers["sequential"]
        time.sleep(3)  # the warm run processes finish their imports
        result["rss_mb_before"] = process_rss_mb(process.pid)
        result["health_before"] = driver.api.get("/api/health").json()["components"]["run_launcher"]["detail"]

        say(f"{label}: 10 sequential webhooks")
        sequential = []
        for _ in range(10):
            seq = driver.post()
            driver.wait_settled([seq], 120)
            sequential.append(seq)
            time.sleep(0.5)
        result["sequential"] = driver.measure(sequential)["trigger_to_first_node"]
        say(f"{label}: sequential {result['sequential']}")

        if burst:
            say(f"{label}: burst of {burst} webhooks")
            driver = drivers["burst"]
            cpu_before = process_cpu_s(process.pid)
            requests_before = _writer_requests(driver)
            first = time.time()
            with ThreadPoolExecutor(16) as pool:
                seqs = list(pool.map(lambda _: driver.post(), range(burst)))
            posted = time.time() - first
            driver.wait_settled(seqs, 1800)
            cpu_after = process_cpu_s(process.pid)
            run_ids = [driver.accepted[s] for s in seqs if s in driver.accepted]
            nodes = len(json.loads((ROOT / "flows" / "hello.json").read_text())["nodes"])
            recorded_at = PrefectRecord(url, home).wait_complete(run_ids, nodes, RECORD_TIMEOUT_S)
            cpu_recorded = process_cpu_s(process.pid)
            requests_after = _writer_requests(driver)
            measured = driver.measure(seqs)
            elapsed = measured["last_end"] - first
            result["burst"] = {"runs": burst, "accepted": sum(1 for s in seqs if s in driver.accepted),
                               "post_s": round(posted, 2), "settled_s": round(elapsed, 2),
                               "runs_per_s": round(burst / elapsed, 2) if elapsed > 0 else None,
                               "trigger_to_first_node": measured["trigger_to_first_node"],
                               "statuses": measured["statuses"],
                               "cpu_s_per_run": {kind: round((cpu_after.get(kind, 0) - used) / burst, 3)
                                                 for kind, used in cpu_before.items()},
                               "prefect_record": {
                                   "complete_after_last_settled_s": (round(recorded_at - measured["last_end"], 2)
                                                                     if recorded_at else None),
                                   "complete_after_first_post_s": round(recorded_at - first, 2) if recorded_at else None,
                                   "writer_requests_per_run": (round((requests_after - requests_before) / burst, 2)
                                                               if requests_before is not None and requests_after
                                                               is not None else None),
                                   "cpu_s_per_run_until_complete": {
                                       kind: round((cpu_recorded.get(kind, 0) - used) / burst, 3)
                                       for kind, used in cpu_before.items()}}}
            say(f"{label}: burst {result['burst']}")

        if offered_s:
            say(f"{label}: 10 webhooks/s for {offered_s:.0f} s")
            driver = drivers["offered"]
            seqs, start = [], time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                futures = []
                for index in range(int(offered_s * 10)):
                    delay = start + index / 10 - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    futures.append(pool.submit(driver.post))
                seqs = [f.result() for f in futures]
            driver.wait_settled(seqs, 1800)
            measured = driver.measure(seqs)
            result["offered_10_per_s"] = {"runs": len(seqs), "trigger_to_first_node": measured["trigger_to_first_node"],
                                          "statuses": measured["statuses"]}
            say(f"{label}: offered {result['offered_10_per_s']}")

        counts = [each.lost_and_duplicated() for each in drivers.values()]
        result["lost"], result["duplicated"] = sum(c[0] for c in counts), sum(c[1] for c in counts)
        result["refused"] = sum(len(each.refused) for each in drivers.values())
        time.sleep(1)
        result["rss_mb_after"] = process_rss_mb(process.pid)
    finally:
        stop_server(process)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--baseline-burst", type=int, default=30)
    parser.add_argument("--offered-s", type=float, default=20.0)
    parser.add_argument("--baseline-env", action="append", default=[], metavar="NAME=VALUE",
                        help="the baseline server's environment (default WIREWORK_RUN_PROCESSES=spawn)")
    args = parser.parse_args()
    baseline_env = dict(item.split("=", 1) for item in args.baseline_env) or {"WIREWORK_RUN_PROCESSES": "spawn"}
    forked = measure_server({}, args.burst, args.offered_s, "forkserver")
    baseline = (measure_server(baseline_env, args.baseline_burst, 0, "baseline")
                if args.baseline_burst else None)
    burst = forked.get("burst") or {}
    offered = forked.get("offered_10_per_s") or {}
    print(json.dumps({
        "vs_baseline": _ratios(forked, baseline),
        "benchmark": "throughput",
        "flow": WORKFLOW_ID,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs_per_s": burst.get("runs_per_s"),
        "prefect_record_complete_after_s": (burst.get("prefect_record") or {}).get("complete_after_last_settled_s"),
        "idle_p50_s": forked["sequential"].get("p50_s"),
        "offered_p95_s": (offered.get("trigger_to_first_node") or {}).get("p95_s"),
        "lost": forked["lost"], "duplicated": forked["duplicated"],
        "forkserver": forked,
        "baseline": baseline,
        "targets": {"runs_per_s": 20, "idle_p50_s": 0.05, "offered_p95_s": 2.0, "lost": 0, "duplicated": 0},
    }, indent=2))


def _ratios(forked: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, float | None] | None:
    """This server against the same-run baseline: burst runs/s (higher is better) and idle
    webhook → first node p50 (the baseline's over ours: higher is better too)."""
    if baseline is None:
        return None

    def ratio(top: float | None, bottom: float | None) -> float | None:
        return round(top / bottom, 2) if top and bottom else None

    return {"runs_per_s": ratio((forked.get("burst") or {}).get("runs_per_s"),
                                (baseline.get("burst") or {}).get("runs_per_s")),
            "idle_p50_speedup": ratio(baseline["sequential"].get("p50_s"), forked["sequential"].get("p50_s"))}


if __name__ == "__main__":
    main()
