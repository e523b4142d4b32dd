"""Cancel: how fast the cancel call answers and how fast a cancelled run ends.

Starts a real `wirework up` (its own Prefect server) in a temp data folder and cancels
runs whose one node is busy in two ways:

- `blocking`: a `python.map` that sleeps 600 s and never looks at its cancel event — the
  worker gives up after its grace, the launcher kills the run's process group.
- `cooperative`: a `python.yield` that yields for ever; the node sees the cancel event and
  the worker reports the run cancelled itself.

Each is measured while the machine is quiet and while the server takes 10 webhooks/s to
the 3-node `hello` flow (`busy`). Per cancel: POST /api/runs/{id}/cancel → answer
(`answer_s`), and → the run shows `cancelled` (`ended_s`, polled every 20 ms).

Baseline, measured in the same run at the same moments: GET /api/runs/{id} just before each
cancel — the cheapest call the server answers — so a slow answer can be told from a slow
server (`answer_vs_read`: cancel answer p50 / read p50).

Targets (issue 9's cancel, kept here since timing goals live in benchmarks, not tests):
cancel answer p95 < 1 s and cancelled → ended p95 < 2 s, quiet and busy.
Progress on stderr, JSON on stdout. Options: `--cancels N` per kind and phase (default 8).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import start_server, stop_server  # noqa: E402
from bench.throughput import Driver, percentile, say  # noqa: E402
from engine.server.security import bearer_headers  # noqa: E402
from tests.server_harness import wait_until  # noqa: E402

BLOCKING_MAP = "def node(record):\n    import time\n    time.sleep(600)\n    return record\n"
ENDLESS_YIELD = ("def node(record):\n    import time\n    i = 0\n    while True:\n        i += 1\n"
                 "        if i % 100 == 0:\n            time.sleep(0.01)\n        yield {'id': str(i)}\n")
KINDS = {"blocking": ("python.map", BLOCKING_MAP), "cooperative": ("python.yield", ENDLESS_YIELD)}
TARGET_ANSWER_S = 1.0
TARGET_ENDED_S = 2.0
ENDED = {"cancelled", "completed", "failed", "crashed"}


def cancel_once(api: httpx.Client, workflow_id: str) -> dict[str, float]:
    run_id = api.post(f"/api/workflows/{workflow_id}/runs", json={}).json()["run_id"]
    wait_until(lambda: any(n["status"] == "running" for n in api.get(f"/api/runs/{run_id}").json()["nodes"]),
               120, f"run {run_id}'s node to start", interval=0.1)
    read_started = time.monotonic()
    api.get(f"/api/runs/{run_id}").raise_for_status()
    read_s = time.monotonic() - read_started
    asked = time.monotonic()
    response = api.post(f"/api/runs/{run_id}/cancel")
    answer_s = time.monotonic() - asked
    if response.status_code != 200 or response.json()["status"] != "cancelling":
        raise SystemExit(f"cancel of run {run_id} answered {response.status_code}: {response.text}")
    run = wait_until(lambda: (r := api.get(f"/api/runs/{run_id}").json())["status"] in ENDED and r, 60,
                     f"run {run_id} to end", interval=0.02)
    ended_s = time.monotonic() - asked
    if run["status"] != "cancelled":
        raise SystemExit(f"run {run_id} ended {run['status']}, not cancelled: {run.get('error')}")
    return {"read_s": read_s, "answer_s": answer_s, "ended_s": ended_s}


def summary(samples: list[dict[str, float]]) -> dict[str, Any]:
    def stats(key: str) -> dict[str, float]:
        values = [s[key] for s in samples]
        return {"p50_s": round(statistics.median(values), 3), "p95_s": round(percentile(values, 0.95), 3),
                "max_s": round(max(values), 3)}
    out: dict[str, Any] = {"n": len(samples), **{key.removesuffix("_s"): stats(key)
                                                  for key in ("read_s", "answer_s", "ended_s")}}
    out["answer_vs_read"] = round(out["answer"]["p50_s"] / max(out["read"]["p50_s"], 1e-6), 2)
    out["met"] = out["answer"]["p95_s"] < TARGET_ANSWER_S and out["ended"]["p95_s"] < TARGET_ENDED_S
    return out


class OfferedLoad:
    """Webhooks to `hello` at a steady rate on a thread, until stopped."""

    def __init__(self, driver: Driver, per_s: float):
        self.driver, self.every_s = driver, 1.0 / per_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._post, daemon=True)

    def _post(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            threading.Thread(target=self.driver.post, daemon=True).start()  # a slow answer never slows the rate
            next_at += self.every_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> OfferedLoad:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cancels", type=int, default=8)
    args = parser.parse_args()
    result: dict[str, Any] = {"targets": {"answer_p95_s": TARGET_ANSWER_S, "ended_p95_s": TARGET_ENDED_S}}
    with tempfile.TemporaryDirectory(prefix="wirework-bench-cancel-") as tmp:
        home = Path(tmp)
        process, url = start_server(home)
        try:
            api = httpx.Client(base_url=url, timeout=60, headers=bearer_headers(home))
            for kind, (node_type, source) in KINDS.items():
                api.post("/api/workflows", json={"id": f"cancel-{kind}", "nodes": [
                    {"id": "busy", "type": node_type, "config": {"code": source}}], "edges": []}).raise_for_status()
            driver = Driver(url, home, "busy")
            driver.setup()
            for phase in ("quiet", "busy"):
                for kind in KINDS:
                    say(f"{phase}: {args.cancels} cancels of a {kind} node")
                    if phase == "quiet":
                        samples = [cancel_once(api, f"cancel-{kind}") for _ in range(args.cancels)]
                    else:
                        with OfferedLoad(driver, per_s=10):
                            time.sleep(3)  # the load reaches its steady state first
                            samples = [cancel_once(api, f"cancel-{kind}") for _ in range(args.cancels)]
                    result.setdefault(phase, {})[kind] = summary(samples)
                    say(f"  {json.dumps(result[phase][kind])}")
            result["busy"]["webhooks_accepted"] = len(driver.accepted)
            result["busy"]["webhooks_refused"] = len(driver.refused)
        finally:
            stop_server(process)
    result["met"] = all(result[phase][kind]["met"] for phase in ("quiet", "busy") for kind in KINDS)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
