"""One big yield → map → store.write run through a real `wirework up`, its memory sampled
(the records half of bench/scale.py, issue 20 parts 3 and 5).

`measure(root, records, home)` starts `wirework up` from the code in `root` (this checkout,
or a `git worktree` of an earlier commit for the baseline), runs a 3-node workflow whose
python.yield makes `records` records of ~100 bytes of JSON, python.map adds a field and
store.write upserts them into a new store, and samples /proc every 0.2 s meanwhile: the
peak RSS of every process below the server, by kind — `api` (the `wirework up` process,
which also serves the stores), `run_host` (the forkserver) and `run` (the run's own
process, forked from it) handle records; Prefect and the embedding service do not.
records/s is `records` over the run's start-to-end time as the run reports it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench._server import start_server, stop_server
from bench.throughput import say

SAMPLE_S = 0.2
YIELD = ("def node(record):\n"
         "    for i in range({records}):\n"
         "        yield {{'id': f'r{{i}}', 'n': i, 'text': 'lorem ipsum dolor sit amet ' + str(i % 977)}}\n")
MAP = "def node(record):\n    record['double'] = record['n'] * 2\n    return record\n"
RECORD_KINDS = ("api", "run_host", "run")


def _processes(root_pid: int) -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of `root_pid` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.append((pid, parents.get(pid, 0), cmdline))
    return found


def _kind(pid: int, ppid: int, cmdline: str, root_pid: int, by_pid: dict[int, str]) -> str:
    if pid == root_pid:
        return "api"
    if "engine.execution.run_host" in cmdline and "bwrap" not in cmdline and not cmdline.startswith("/usr/bin/env"):
        # A forked run keeps its host's command line: told apart by its parent.
        return "run" if by_pid.get(ppid) in ("run_host", "run") else "run_host"
    for marker, kind in (("prefect", "prefect"), ("engine.embedding", "embedding_service"), ("bwrap", "sandbox"),
                         ("engine.execution.worker", "run")):
        if marker in cmdline:
            return kind
    return "other"


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class MemorySampler:
    """Peak RSS per process below the server, sampled every `SAMPLE_S` seconds."""

    def __init__(self, root_pid: int):
        self.root_pid = root_pid
        self.peaks: dict[int, tuple[str, float]] = {}
        self._kinds: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "MemorySampler":
        self._thread.start()
        return self

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        by_kind: dict[str, float] = {}
        for kind, peak in self.peaks.values():
            by_kind[kind] = max(by_kind.get(kind, 0.0), peak)
        return {"peak_rss_mb_by_kind": {k: round(v, 1) for k, v in sorted(by_kind.items())},
                "peak_rss_mb_by_process": {f"{kind}:{pid}": round(peak, 1)
                                           for pid, (kind, peak) in sorted(self.peaks.items())}}

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid, ppid, cmdline in sorted(_processes(self.root_pid)):
                kind = self._kinds.get(pid) or _kind(pid, ppid, cmdline, self.root_pid, self._kinds)
                self._kinds[pid] = kind
                rss = _rss_mb(pid)
                if rss is not None and rss > self.peaks.get(pid, (kind, 0.0))[1]:
                    self.peaks[pid] = (kind, rss)
            self._stop.wait(SAMPLE_S)


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def measure(root: Path, records: int, home: Path, label: str, env: dict[str, str] | None = None,
            timeout_s: float = 7200) -> dict[str, Any]:
    from engine.server.security import bearer_headers

    say(f"{label}: starting wirework up from {root} in {home}")
    server, url = start_server(home, env={"PYTHONPATH": str(root), **(env or {})}, root=root)
    sampler = MemorySampler(server.pid).start()
    try:
        api = httpx.Client(base_url=url, timeout=120, headers=bearer_headers(home))
        wf_id, store = f"records-{label}", f"records-{label}"
        doc = {"id": wf_id, "nodes": [
            {"id": "gen", "type": "python.yield", "config": {"code": YIELD.format(records=records)}},
            {"id": "double", "type": "python.map", "config": {"code": MAP}},
            {"id": "write", "type": "store.write", "config": {"store": store, "create": True}},
        ], "edges": [{"source": "gen", "target": "double"}, {"source": "double", "target": "write"}]}
        api.post("/api/workflows", json=doc).raise_for_status()
        time.sleep(3)  # the run host's imports, before the run is timed
        load_before = [round(x, 2) for x in os.getloadavg()]
        run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
        deadline, run, last = time.monotonic() + timeout_s, {}, 0.0
        while time.monotonic() < deadline:
            run = api.get(f"/api/runs/{run_id}").json()
            if run.get("status") in ("completed", "failed", "cancelled", "crashed"):
                break
            if time.monotonic() - last > 10:
                last = time.monotonic()
                nodes = {n["node_id"]: (n["status"], n.get("records_out")) for n in run.get("nodes", [])}
                say(f"{label}: {run.get('status')} {nodes} RSS MB now (peak): "
                    + ", ".join(f"{kind}:{pid} {_rss_mb(pid) or 0:.0f} ({peak:.0f})"
                                for pid, (kind, peak) in sorted(sampler.peaks.items()) if kind in RECORD_KINDS))
            time.sleep(1)
        memory = sampler.stop()
        count = api.get(f"/api/stores/{store}").json().get("count") if run.get("status") == "completed" else None
        elapsed = _ts(run["ended_at"]) - _ts(run["started_at"]) if run.get("ended_at") else None
        result = {"records": records, "status": run.get("status"), "error": run.get("error"),
                  "store_count": count, "run_s": round(elapsed, 1) if elapsed else None,
                  "records_per_s": round(records / elapsed) if elapsed else None,
                  "nodes": {n["node_id"]: {"status": n["status"], "records_out": n.get("records_out"),
                                           "s": round(_ts(n["ended_at"]) - _ts(n["started_at"]), 1)
                                           if n.get("ended_at") and n.get("started_at") else None}
                            for n in run.get("nodes", [])},
                  **memory,
                  "record_handling_peak_mb": max((v for k, v in memory["peak_rss_mb_by_kind"].items()
                                                  if k in RECORD_KINDS), default=None),
                  "load_average_before": load_before,
                  "load_average_after": [round(x, 2) for x in os.getloadavg()]}
        say(f"{label}: {result}")
        return result
    finally:
        if not sampler._stop.is_set():
            sampler.stop()
        stop_server(server)
