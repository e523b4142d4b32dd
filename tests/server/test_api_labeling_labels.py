"""Manual labels for any record id through a real `wirework up` (issue 14, part 5): the bulk
route sets and removes in one all-or-nothing transaction, and the single-label routes
take ids with "/", "%2F" and unicode; and the text-field warnings of part 6 (counts in the
sync status, warnings on the task listing, the sync answer and a workflow validation
problem of a labeling.enrich node whose task reads a field that never occurs)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

LABELS = ["rather positive", "neutral", "rather negative"]
# The demo's stock-news ids are article paths; the rest try what a URL path makes hard.
IDS = ["/news/2026/acme-soars", "a/b", "café/über-€", "50% off", "q?x=1#frag", "trailing/"]


def make_project(api, records: list[dict], text_fields: list[str] = ("title",)) -> str:
    suffix = uuid.uuid4().hex[:8]
    store, project = f"labels-{suffix}", f"lab-{suffix}"
    api.post(f"/api/stores/{store}/records", params={"create": True}, json=records).raise_for_status()
    assert api.post("/api/labeling/projects", json={"name": project, "store": store}).status_code == 201
    created = api.post(f"/api/labeling/projects/{project}/tasks",
                       json={"name": "sentiment", "labels": LABELS, "text_fields": list(text_fields)})
    assert created.status_code == 201, created.text
    return project


def stored(api, project: str) -> dict[str, str]:
    labels = api.get(f"/api/labeling/projects/{project}/tasks/sentiment/labels")
    assert labels.status_code == 200
    return {entry["record_id"]: entry["label"] for entry in labels.json()}


def headline_records() -> list[dict]:
    return [{"id": record_id, "title": f"headline {i}"} for i, record_id in enumerate(IDS)]


def test_bulk_sets_and_removes_labels_for_any_id(api):
    project = make_project(api, headline_records())
    url = f"/api/labeling/projects/{project}/tasks/sentiment/labels"
    first = api.post(url, params={"user": "ann"},
                     json=[{"record_id": record_id, "label": LABELS[i % 3]} for i, record_id in enumerate(IDS)])
    assert first.status_code == 200, first.text
    assert first.json()["set"] == len(IDS) and first.json()["removed"] == 0 and first.json()["labeled_by"] == "ann"
    assert stored(api, project) == {record_id: LABELS[i % 3] for i, record_id in enumerate(IDS)}
    # null removes; a label changes; removing a record that has no label removes nothing
    second = api.post(url, json=[{"record_id": "a/b", "label": None}, {"record_id": "café/über-€", "label": None},
                                 {"record_id": "/news/2026/acme-soars", "label": "neutral"}])
    assert second.status_code == 200, second.text
    assert (second.json()["set"], second.json()["removed"]) == (1, 2)
    after = stored(api, project)
    assert "a/b" not in after and "café/über-€" not in after and after["/news/2026/acme-soars"] == "neutral"
    again = api.post(url, json=[{"record_id": "a/b", "label": None}])
    assert (again.json()["set"], again.json()["removed"]) == (0, 0)
    # the records listing shows the labels under the same ids
    records = {r["id"]: r["labels"] for r in api.get(f"/api/labeling/projects/{project}/records").json()}
    assert records["50% off"]["sentiment"]["label"] == LABELS[IDS.index("50% off") % 3]


def test_bulk_refuses_the_whole_batch_naming_the_record(api):
    project = make_project(api, headline_records())
    url = f"/api/labeling/projects/{project}/tasks/sentiment/labels"
    api.post(url, json=[{"record_id": "a/b", "label": "neutral"}]).raise_for_status()
    cases = [
        ([{"record_id": "/news/2026/acme-soars", "label": "neutral"}, {"record_id": "café/über-€", "label": "great"}],
         ["café/über-€", "great"]),
        ([{"record_id": "/news/2026/acme-soars", "label": "neutral"}, {"record_id": "no/such", "label": "neutral"}],
         ["no/such", "no such record"]),
        ([{"record_id": "trailing/", "label": "neutral"}, {"record_id": "trailing/", "label": None}],
         ["trailing/", "twice"]),
        # a removal in a refused batch is not applied either
        ([{"record_id": "a/b", "label": None}, {"record_id": "missing", "label": "neutral"}], ["missing"]),
    ]
    for body, named in cases:
        response = api.post(url, json=body)
        assert response.status_code == 400, response.text
        detail = response.json()["detail"]
        assert all(part in detail for part in named), detail
        assert project in detail and "sentiment" in detail
        assert stored(api, project) == {"a/b": "neutral"}  # nothing of the batch stored
    shape = api.post(url, json=[{"label": "neutral"}])
    assert shape.status_code == 422 and "record_id" in shape.text
    unknown_task = api.post(f"/api/labeling/projects/{project}/tasks/nope/labels", json=[])
    assert unknown_task.status_code == 404 and "nope" in unknown_task.json()["detail"]


def test_single_label_routes_take_ids_with_slashes_percent_2f_and_unicode(api):
    project = make_project(api, headline_records())
    base = f"/api/labeling/projects/{project}/tasks/sentiment/labels"
    for record_id in IDS:
        # quote(safe=""): "/" goes as %2F, as the editor's encodeURIComponent sends it
        response = api.put(f"{base}/{quote(record_id, safe='')}", json={"label": "neutral"})
        assert response.status_code == 200, (record_id, response.status_code, response.text)
        assert response.json()["record_id"] == record_id
    # a literal "/" in the path reaches the record too
    literal = api.put(f"{base}//news/2026/acme-soars",
                      json={"label": "rather positive"})
    assert literal.status_code == 200, literal.text
    assert literal.json()["record_id"] == "/news/2026/acme-soars"
    assert stored(api, project) == {**{record_id: "neutral" for record_id in IDS},
                                    "/news/2026/acme-soars": "rather positive"}
    for record_id in IDS:
        assert api.delete(f"{base}/{quote(record_id, safe='')}").status_code == 204, record_id
    assert stored(api, project) == {}
    gone = api.delete(f"{base}/{quote('a/b', safe='')}")
    assert gone.status_code == 404 and "a/b" in gone.json()["detail"]
    unknown = api.put(f"{base}/{quote('no/such', safe='')}", json={"label": "neutral"})
    assert unknown.status_code == 404 and "no/such" in unknown.json()["detail"]


def test_missing_and_empty_text_fields_are_counted_and_warned(api):
    records = [{"id": "r1", "title": "Acme soars", "body": ""}, {"id": "r2", "title": "  ", "body": ""},
               {"id": "r3", "name": "Globex plunges"}, {"id": "r4/x", "title": None, "body": "   "}]
    project = make_project(api, records, text_fields=["title", "headline", "body"])
    status = api.get(f"/api/labeling/projects/{project}/status")
    assert status.status_code == 200, status.text
    task = status.json()["tasks"][0]
    assert {f["field"]: (f["missing"], f["empty"]) for f in task["text_fields"]} == {
        "title": (2, 1), "headline": (4, 0), "body": (1, 3)}
    kinds = {w["field"]: w["kind"] for w in task["warnings"]}
    assert kinds == {"headline": "field_never_occurs", "body": "field_always_empty"}
    assert status.json()["warnings"] == task["warnings"]
    assert all(w["task"] == "sentiment" and w["records"] == 4 for w in task["warnings"])
    listed = api.get(f"/api/labeling/projects/{project}/tasks").json()[0]
    assert {w["field"] for w in listed["warnings"]} == {"headline", "body"}
    assert "headline" in api.post(f"/api/labeling/projects/{project}/sync").json()["warnings"][0]["message"]
    detail = api.get(f"/api/labeling/projects/{project}").json()["tasks"][0]
    assert {w["field"] for w in detail["warnings"]} == {"headline", "body"}


def test_no_warning_when_fields_occur_or_no_records_yet(api):
    project = make_project(api, headline_records())
    status = api.get(f"/api/labeling/projects/{project}/status").json()
    assert status["warnings"] == [] and status["tasks"][0]["text_fields"] == [
        {"field": "title", "missing": 0, "empty": 0}]
    empty = f"empty-{uuid.uuid4().hex[:8]}"
    api.post("/api/labeling/projects", json={"name": empty, "store": f"not-yet-{empty}"}).raise_for_status()
    created = api.post(f"/api/labeling/projects/{empty}/tasks",
                       json={"name": "t", "labels": ["a", "b"], "text_fields": ["headline"]})
    assert created.status_code == 201 and created.json()["warnings"] == []


def enrich_workflow(project: str, tasks: list[str] | None = None) -> dict:
    config: dict = {"project": project}
    if tasks is not None:
        config["tasks"] = tasks
    return {"id": f"enrich-{uuid.uuid4().hex[:8]}", "name": "enrich",
            "nodes": [{"id": "enrich", "type": "labeling.enrich", "config": config}], "edges": []}


def test_validation_reports_an_enrich_node_whose_task_reads_a_field_that_never_occurs(api):
    # the tutorial's records have "name"; the task reads "headline" (the 7 identical predictions)
    project = make_project(api, [{"id": f"t{i}", "name": f"Record {i}"} for i in range(7)],
                           text_fields=["headline"])
    workflow = enrich_workflow(project)
    checked = api.post("/api/validate", json=workflow).json()
    assert checked["valid"] is False
    problem = next(p for p in checked["problems"] if p["code"] == "labeling_text_field")
    assert problem["node"] == "enrich" and "headline" in problem["message"] and project in problem["message"]
    saved = api.post("/api/workflows", json=workflow)
    assert saved.status_code == 201
    assert any(p["code"] == "labeling_text_field" for p in saved.json()["problems"])
    run = api.post(f"/api/workflows/{workflow['id']}/runs")
    assert run.status_code == 422 and "headline" in run.text
    # a task the node does not predict is not its problem
    api.post(f"/api/labeling/projects/{project}/tasks",
             json={"name": "topic", "labels": ["a", "b"], "text_fields": ["name"]}).raise_for_status()
    only_topic = api.post("/api/validate", json=enrich_workflow(project, ["topic"])).json()
    assert only_topic["valid"] is True, only_topic
    # an unknown project is a problem before any run (validation knows the labeling projects)
    unknown = api.post("/api/validate", json=enrich_workflow("no-such-project")).json()
    assert unknown["valid"] is False and any("no-such-project" in p["message"] for p in unknown["problems"]), unknown
