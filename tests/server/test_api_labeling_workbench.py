"""The labeling UI's routes on a real server: status, suggestions, labeling-function
preview and active-learner training jobs polled to the end."""

from __future__ import annotations

import time

from tests.server.test_api_labeling import make_project

LF = "def lf(record):\n    if 'soar' in record['title'].lower():\n        return 'rather positive'\n"


def test_status_and_suggestions_routes(api):
    _, project = make_project(api)
    base = f"/api/labeling/projects/{project}"
    api.put(f"{base}/tasks/sentiment/labels/h1", json={"label": "rather positive"}).raise_for_status()
    status = api.get(f"{base}/status").json()
    assert status["records"] == 5
    assert status["tasks"] == [{"task": "sentiment", "labeled": 1, "unlabeled": 4, "embedded": 0,
                                "text_fields": [{"field": "title", "missing": 0, "empty": 0}], "warnings": []}]
    api.put(f"{base}/lookup-lists/down", json={"terms": ["plunge", "plunges"]}).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/down",
            json={"kind": "lookup_list", "config": {"list": "down", "label": "rather negative"}}).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/soar",
            json={"kind": "labeling_function", "config": {"code": LF}}).raise_for_status()
    page = api.get(f"{base}/tasks/sentiment/suggestions", params={"filter": "unlabeled", "limit": 2}).json()
    assert page["total"] == 4 and len(page["records"]) == 2
    # h3 has no votes, so it precedes the weakly labelled h2, h4 and h5
    assert page["records"][0]["id"] == "h3" and page["records"][0]["weak"]["prediction"] is None
    excluded = api.get(f"{base}/tasks/sentiment/suggestions",
                       params={"filter": "unlabeled", "exclude": ["h3", "h2"]}).json()
    # "down" votes at the default precision 0.8 (weak confidence ≈ 0.93); "soar" was graded
    # correct on h1 (precision 1.0, ≈ 0.98): the less confident h5 comes first
    assert [r["id"] for r in excluded["records"]] == ["h5", "h4"]
    h5 = excluded["records"][0]
    assert h5["votes"] == {"down": {"label": "rather negative", "confidence": 1.0}}
    bad = api.get(f"{base}/tasks/sentiment/suggestions", params={"filter": "weird"})
    assert bad.status_code == 400 and "weird" in bad.json()["detail"]


def test_suggestions_route_takes_a_strategy(api):
    _, project = make_project(api)
    url = f"/api/labeling/projects/{project}/tasks/sentiment/suggestions"
    assert api.get(url).json()["strategy"] == "active"  # the default: active learning
    first = api.get(url, params={"strategy": "random", "limit": 4}).json()
    assert first["strategy"] == "random" and len(first["records"]) == 4
    assert {r["reason"] for r in first["records"]} == {"random pick"}
    # stable between calls, so paging by excluding held ids continues the same order
    again = api.get(url, params={"strategy": "random", "limit": 4}).json()
    assert [r["id"] for r in again["records"]] == [r["id"] for r in first["records"]]
    ids = [r["id"] for r in first["records"]]
    rest = api.get(url, params={"strategy": "random", "exclude": ids[:2]}).json()
    assert [r["id"] for r in rest["records"]][:2] == ids[2:]
    heuristics = api.get(url, params={"strategy": "heuristics"}).json()
    assert heuristics["strategy"] == "heuristics" and heuristics["total"] == 5
    bad = api.get(url, params={"strategy": "smartest"})
    assert bad.status_code == 400
    assert "smartest" in bad.json()["detail"] and project in bad.json()["detail"]


def test_preview_route_runs_unsaved_code_and_reports_its_errors(api):
    _, project = make_project(api)
    base = f"/api/labeling/projects/{project}/tasks/sentiment"
    preview = api.post(f"{base}/preview", json={"code": LF, "sample_size": 5}).json()
    assert preview["sample_size"] == 5 and preview["hits"] == 2
    assert {r["id"] for r in preview["records"] if r["vote"]} == {"h1", "h4"}
    assert api.get(f"{base}/heuristics").json() == []
    broken = api.post(f"{base}/preview", json={"code": "def lf(record):\n    return record['nope']\n",
                                               "name": "draft"})
    assert broken.status_code in (400, 422)
    assert 'heuristic "draft"' in broken.json()["detail"] and "line 2" in broken.json()["detail"]
    assert api.post(f"{base}/preview", json={"code": LF, "sample_size": 0}).status_code == 400


def test_training_route_starts_a_job_the_client_polls(api):
    _, project = make_project(api)
    base = f"/api/labeling/projects/{project}"
    for record_id, label in [("h1", "rather positive"), ("h4", "rather positive"),
                             ("h2", "rather negative"), ("h5", "rather negative")]:
        api.put(f"{base}/tasks/sentiment/labels/{record_id}", json={"label": label}).raise_for_status()
    api.put(f"{base}/tasks/sentiment/heuristics/learner",
            json={"kind": "active_learner", "config": {"min_confidence": 0.5}}).raise_for_status()
    started = api.post(f"{base}/tasks/sentiment/training", json={"heuristic": "learner"})
    assert started.status_code == 202
    job = started.json()
    deadline = time.monotonic() + 120
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(f"{base}/training/{job['id']}").json()
    assert job["state"] == "completed", job
    assert job["result"]["embeddings"]["computed"] == 5 and job["result"]["manual_labels"] == 4
    assert api.get(f"{base}/status").json()["tasks"][0]["embedded"] == 5
    assert api.get(f"{base}/training/nope").status_code == 404
    not_learner = api.post(f"{base}/tasks/sentiment/training", json={"heuristic": "missing"})
    assert not_learner.status_code == 404 and "missing" in not_learner.json()["detail"]
