"""Labeling projects through the API, and `labeling.enrich` in a worker process getting
its project's bundle over the internal route."""

from __future__ import annotations

import uuid

from tests.server_harness import wait_for_run

LABELS = ["rather positive", "neutral", "rather negative"]
HEADLINES = [
    ("h1", "Acme shares soar after record profit", "rather positive"),
    ("h2", "Globex stock plunges on weak outlook", "rather negative"),
    ("h3", "Initech holds annual meeting", "neutral"),
    ("h4", "Umbrella beats forecasts, shares soar", "rather positive"),
    ("h5", "Hooli shares plunge after lawsuit", "rather negative"),
]
LF = '''
def lf(record):
    if "soar" in record["title"].lower():
        return "rather positive"
'''


def make_project(api) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    store, project = f"news-{suffix}", f"sent-{suffix}"
    api.post(f"/api/stores/{store}/records", params={"create": True},
             json=[{"id": i, "title": t} for i, t, _ in HEADLINES]).raise_for_status()
    assert api.post("/api/labeling/projects", json={"name": project, "store": store}).status_code == 201
    assert api.post(f"/api/labeling/projects/{project}/tasks",
                    json={"name": "sentiment", "labels": LABELS, "text_fields": ["title"]}).status_code == 201
    return store, project


def test_project_labels_heuristics_and_weak_supervision(api):
    store, project = make_project(api)
    base = f"/api/labeling/projects/{project}"
    assert len(api.get(f"{base}/records").json()) == 5  # synced from the store
    for record_id, _, label in HEADLINES[:4]:
        assert api.put(f"{base}/tasks/sentiment/labels/{record_id}", json={"label": label, "user": "ann"}).status_code == 200
    labels = api.get(f"{base}/tasks/sentiment/labels").json()
    assert len(labels) == 4 and {entry["labeled_by"] for entry in labels} == {"ann"}
    api.put(f"{base}/lookup-lists/negative-words", json={"terms": ["plunge", "plunges"]}).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/neg-words",
            json={"kind": "lookup_list", "config": {"list": "negative-words", "label": "rather negative"}}).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/soar",
            json={"kind": "labeling_function", "config": {"code": LF}}).raise_for_status()
    stats = {h["name"]: h for h in api.get(f"{base}/tasks/sentiment/statistics").json()["heuristics"]}
    assert stats["soar"]["coverage"] == 2 and stats["neg-words"]["coverage"] == 2
    ws = api.get(f"{base}/tasks/sentiment/weak-supervision").json()
    assert ws["results"]["h5"]["prediction"] == "rather negative"
    assert ws["results"]["h3"]["prediction"] is None  # no heuristic voted
    # new records in the store appear in the project without a manual step
    api.post(f"/api/stores/{store}/records", json=[{"id": "h6", "title": "Stocks soar"}]).raise_for_status()
    assert len(api.get(f"{base}/records").json()) == 6


def test_labeling_errors_are_json_and_name_the_project(api):
    missing = api.get("/api/labeling/projects/no-such-project")
    assert missing.status_code == 404 and "no-such-project" in missing.json()["detail"]
    _, project = make_project(api)
    dup = api.post("/api/labeling/projects", json={"name": project, "store": "whatever"})
    assert dup.status_code == 409
    bad_label = api.put(f"/api/labeling/projects/{project}/tasks/sentiment/labels/h1", json={"label": "great"})
    assert bad_label.status_code in (400, 422) and "great" in bad_label.json()["detail"]
    bad_lf = api.put(f"/api/labeling/projects/{project}/tasks/sentiment/heuristics/broken",
                     json={"kind": "labeling_function", "config": {"code": "def lf(record):\n    return (\n"}})
    assert bad_lf.status_code in (400, 422) and "broken" in bad_lf.json()["detail"]


def test_enrich_node_in_a_worker_labels_records_for_kern_code(api):
    store, project = make_project(api)
    base = f"/api/labeling/projects/{project}"
    api.put(f"{base}/tasks/sentiment/heuristics/soar",
            json={"kind": "labeling_function", "config": {"code": LF}}).raise_for_status()
    wf = f"enrich-{uuid.uuid4().hex[:8]}"
    aggregate = ("def node(records):\n    counts = {}\n    for r in records:\n"
                 "        p = r['prediction']['results']['sentiment']['prediction']\n"
                 "        counts[str(p)] = counts.get(str(p), 0) + 1\n"
                 "    return {'id': 'summary', 'text': str(sorted(counts.items()))}\n")
    doc = {"id": wf, "nodes": [
        {"id": "read", "type": "store.read", "config": {"store": store}},
        {"id": "label", "type": "labeling.enrich", "config": {"project": project, "tasks": ["sentiment"]}},
        {"id": "count", "type": "python.aggregate", "config": {"code": aggregate}},
    ], "edges": [{"source": "read", "target": "label"}, {"source": "label", "target": "count"}]}
    assert api.post("/api/workflows", json=doc).json()["problems"] == []
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"], timeout_s=120)
    assert run["status"] == "completed", run
    [summary] = api.get(f"/api/runs/{run['id']}/nodes/count/output").json()["records"]
    assert summary["text"] == "[('None', 3), ('rather positive', 2)]"


def test_bundle_route_is_internal(api):
    _, project = make_project(api)
    assert api.post(f"/api/internal/labeling/projects/{project}/bundle", json={}).status_code == 403
