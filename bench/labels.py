"""Benchmark of saving manual labels through a real `wirework up` (not part of the tests;
prints JSON).

Issue 14 measured 1,558 labels as 1,558 `PUT …/labels/{record_id}` (~12 s). This run
saves N labels to records whose ids are article paths (with "/") once with one bulk
`POST …/labels` and once with N single PUTs (ids percent-encoded, as the editor sends
them), on the same server, project and records, and checks both stored every label.
The per-PUT figure is the baseline, measured in the same run.

    .venv/bin/python bench/labels.py [--labels 1558]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench._server import start_server, stop_server  # noqa: E402
from engine.server.security import bearer_headers  # noqa: E402

LABELS = ["rather positive", "neutral", "rather negative"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1558)
    args = parser.parse_args()
    n = args.labels
    with tempfile.TemporaryDirectory(prefix="wirework-bench-labels-") as tmp:
        home = Path(tmp)
        process, url = start_server(home)
        try:
            with httpx.Client(base_url=url, timeout=120, headers=bearer_headers(home)) as api:
                records = [{"id": f"/news/2026/{i:05d}/acme-item", "title": f"Acme item {i}"} for i in range(n)]
                api.post("/api/stores/articles/records", params={"create": True}, json=records).raise_for_status()
                results = {}
                for way in ("bulk", "single"):
                    project = f"labels-{way}"
                    api.post("/api/labeling/projects", json={"name": project, "store": "articles"}).raise_for_status()
                    base = f"/api/labeling/projects/{project}/tasks/sentiment/labels"
                    # retrain_after 0: no background training competes with the timed saves
                    api.post(f"/api/labeling/projects/{project}/tasks",
                             json={"name": "sentiment", "labels": LABELS, "text_fields": ["title"],
                                   "retrain_after": 0}).raise_for_status()
                    api.get(f"/api/labeling/projects/{project}/status").raise_for_status()  # synced before timing
                    started = time.perf_counter()
                    if way == "bulk":
                        api.post(base, json=[{"record_id": r["id"], "label": LABELS[i % 3]}
                                             for i, r in enumerate(records)]).raise_for_status()
                    else:
                        for i, r in enumerate(records):
                            api.put(f"{base}/{quote(r['id'], safe='')}",
                                    json={"label": LABELS[i % 3]}).raise_for_status()
                    elapsed = time.perf_counter() - started
                    stored = api.get(base).json()
                    results[way] = {"seconds": round(elapsed, 3), "stored": len(stored),
                                    "all_stored": len(stored) == n}
        finally:
            stop_server(process)
    print(json.dumps({"labels": n, "bulk_s": results["bulk"]["seconds"], "single_puts_s": results["single"]["seconds"],
                      "speedup": round(results["single"]["seconds"] / max(results["bulk"]["seconds"], 1e-9), 1),
                      "all_stored": results["bulk"]["all_stored"] and results["single"]["all_stored"]}))


if __name__ == "__main__":
    main()
