"""The embedding service of a real `wirework up` (issue 14, part 4): run workers embed
through it and never load the model (a worker that tried would fail: a process given
the service refuses to load one), one vector cache serves every project, records
without text are flagged instead of labelled, and the service comes back after a kill."""

from __future__ import annotations

import os
import signal
import time
import uuid

from tests.server_harness import wait_for_run, wait_until

LABELS = ["rather positive", "neutral", "rather negative"]
TRAINING = [
    ("t1", "Acme shares soar after record profit", "rather positive"),
    ("t2", "Umbrella beats forecasts, shares jump", "rather positive"),
    ("t3", "Initech rallies on strong quarterly sales", "rather positive"),
    ("t4", "Globex stock plunges on weak outlook", "rather negative"),
    ("t5", "Hooli shares crash after lawsuit", "rather negative"),
    ("t6", "Soylent cuts guidance, stock slumps", "rather negative"),
    ("t7", "Initech holds annual meeting on Tuesday", "neutral"),
    ("t8", "Acme to report results next week", "neutral"),
    ("t9", "Globex names new board member", "neutral"),
]
FRESH = ["Zenith Corp shares jump after profit beats estimates",
         "Zenith Corp stock plunges as sales collapse",
         "Zenith Corp schedules its annual meeting"]


def _status(api) -> dict:
    answer = api.get("/api/embedding-service")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _trained_project(api) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    store, project = f"emb-news-{suffix}", f"emb-{suffix}"
    api.post(f"/api/stores/{store}/records", params={"create": True},
             json=[{"id": i, "title": t} for i, t, _ in TRAINING]).raise_for_status()
    assert api.post("/api/labeling/projects", json={"name": project, "store": store}).status_code == 201
    base = f"/api/labeling/projects/{project}"
    assert api.post(f"{base}/tasks", json={"name": "sentiment", "labels": LABELS,
                                           "text_fields": ["title"]}).status_code == 201
    for record_id, _, label in TRAINING:
        api.put(f"{base}/tasks/sentiment/labels/{record_id}", json={"label": label}).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/learner",
            json={"kind": "active_learner", "config": {}}).raise_for_status()
    job = api.post(f"{base}/tasks/sentiment/training", json={"heuristic": "learner"}).json()
    deadline = time.monotonic() + 180
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(f"{base}/training/{job['id']}").json()
    assert job["state"] == "completed", job
    return store, project


def _enrich_run(api, project: str, records: list[dict]) -> dict:
    wf = f"emb-flow-{uuid.uuid4().hex[:8]}"
    code = f"def node(record):\n    yield from {records!r}\n"
    doc = {"id": wf, "nodes": [
        {"id": "scrape", "type": "python.yield", "config": {"code": code}},
        {"id": "label", "type": "labeling.enrich", "config": {"project": project, "tasks": ["sentiment"]}},
    ], "edges": [{"source": "scrape", "target": "label"}]}
    assert api.post("/api/workflows", json=doc).json()["problems"] == []
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"], timeout_s=180)
    assert run["status"] == "completed", run
    return run


def test_run_workers_embed_through_the_service_and_never_load_the_model(api):
    _, project = _trained_project(api)
    before = _status(api)
    assert before["status"] == "ok" and before["pid"] and before["pid"] != os.getpid()
    fresh = [{"id": f"z{i}", "title": title} for i, title in enumerate(FRESH)]
    run = _enrich_run(api, project, fresh)
    after = _status(api)
    # The worker asked the service for exactly its records' texts, which nobody had embedded.
    assert after["texts_requested"] - before["texts_requested"] == len(FRESH)
    assert after["texts_computed"] - before["texts_computed"] == len(FRESH)
    assert [m["loaded"] for m in after["models"]] == [True]
    logs = api.get(f"/api/runs/{run['id']}/nodes/label/logs").json()["logs"]
    assert "from the embedding service" in logs and "first 3 records enriched" in logs
    records = api.get(f"/api/runs/{run['id']}/nodes/label/output").json()["records"]
    results = [r["prediction"]["results"]["sentiment"] for r in records]
    assert all("learner" in r["votes"] and r["prediction"] in LABELS for r in results), results
    # The same texts again: served from the cache, no forward pass.
    _enrich_run(api, project, fresh)
    again = _status(api)
    assert again["texts_computed"] == after["texts_computed"]
    assert again["texts_cached"] - after["texts_cached"] == len(FRESH)


def test_one_vector_cache_serves_every_project_on_a_store(api):
    store, first = _trained_project(api)
    before = _status(api)
    second = f"emb-second-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/labeling/projects", json={"name": second, "store": store}).status_code == 201
    assert api.post(f"/api/labeling/projects/{second}/tasks",
                    json={"name": "topic", "labels": ["a", "b"], "text_fields": ["title"]}).status_code == 201
    counts = api.post(f"/api/labeling/projects/{second}/embeddings", json={}).json()
    assert counts["total"] == len(TRAINING)
    after = _status(api)
    assert after["texts_computed"] == before["texts_computed"]  # the first project embedded them
    assert after["texts_cached"] - before["texts_cached"] == len(TRAINING)


def test_records_without_text_are_flagged_not_labelled_by_the_learner(api):
    _, project = _trained_project(api)
    records = [{"id": "no-title", "headline": "Zenith Corp shares jump"},  # the task reads "title"
               {"id": "empty", "title": "   "},
               {"id": "ok", "title": "Zenith Corp shares jump after profit beats estimates"}]
    run = _enrich_run(api, project, records)
    out = {r["id"]: r["prediction"]["results"]["sentiment"]
           for r in api.get(f"/api/runs/{run['id']}/nodes/label/output").json()["records"]}
    for record_id in ("no-title", "empty"):
        assert out[record_id]["no_text"] is True and out[record_id]["votes"] == {}
        assert out[record_id]["prediction"] is None
    assert "no_text" not in out["ok"] and out["ok"]["prediction"] in LABELS
    logs = api.get(f"/api/runs/{run['id']}/nodes/label/logs").json()["logs"]
    assert '2 of 3 records have no text ("title" missing on 1, empty on 1)' in logs


def test_the_service_comes_back_after_it_is_killed(api):
    _, project = _trained_project(api)
    pid = _status(api)["pid"]
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: _status(api)["status"] == "ok" and _status(api)["pid"] != pid, 30,
               "the embedding service to restart")
    assert _status(api)["restarts"] >= 1
    run = _enrich_run(api, project, [{"id": "back", "title": "Zenith Corp stock soars again"}])
    assert api.get(f"/api/runs/{run['id']}/nodes/label/output").json()["records"][0]["prediction"][
        "results"]["sentiment"]["prediction"] in LABELS
