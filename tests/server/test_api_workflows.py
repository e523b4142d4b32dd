"""Workflow routes against a real `wirework up` process: CRUD, optimistic versions,
history, validation, import/export and JSON errors for bad input."""

from __future__ import annotations

import uuid

import pytest

MAP = "def node(record):\n    return record\n"


def new_doc(prefix="wf", **extra):
    return {"id": f"{prefix}-{uuid.uuid4().hex[:8]}", "name": "t",
            "nodes": [{"id": "a", "type": "python.map", "config": {"code": MAP}}], "edges": [], **extra}


def test_health_and_node_types_with_schemas(api):
    health = api.get("/api/health").json()
    assert health["status"] == "ok"
    # This server uses the session's Prefect server (--prefect-api-url): not supervised here.
    assert {name: c["status"] for name, c in health["components"].items()} == {
        "api": "ok", "prefect": "external", "run_launcher": "ok", "embedding_service": "ok",
        "prefect_record": "ok"}
    types = {t["type"]: t for t in api.get("/api/node-types").json()}
    assert {"python.map", "python.yield", "python.aggregate"} <= set(types)
    schema = types["python.map"]["config_schema"]
    assert schema["properties"]["code"]["format"] == "python" and types["python.map"]["category"] == "transform"


def test_sample_flows_are_loaded_on_first_start(api):
    ids = [w["id"] for w in api.get("/api/workflows").json()]
    assert "hello" in ids


def test_create_get_and_duplicate(api):
    doc = new_doc()
    created = api.post("/api/workflows", json=doc)
    assert created.status_code == 201 and created.json()["version"] == 1 and created.json()["problems"] == []
    assert api.get(f"/api/workflows/{doc['id']}").json()["nodes"][0]["id"] == "a"
    again = api.post("/api/workflows", json=doc)
    assert again.status_code == 409 and again.json()["error"] == "already_exists"


def test_save_increments_version_and_stale_save_is_refused(api):
    doc = new_doc()
    api.post("/api/workflows", json=doc)
    first = api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 1, "name": "edited by A"})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 1, "name": "edited by B"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "version_conflict" and body["current_version"] == 2 and "reload" in body["detail"]
    assert api.get(f"/api/workflows/{doc['id']}").json()["name"] == "edited by A"  # nothing lost


def test_versions_history_and_restore(api):
    doc = new_doc()
    api.post("/api/workflows", json=doc)
    api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 1, "name": "second"})
    versions = api.get(f"/api/workflows/{doc['id']}/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert api.get(f"/api/workflows/{doc['id']}/versions/1").json()["name"] == "t"
    restored = api.post(f"/api/workflows/{doc['id']}/versions/1/restore").json()
    assert restored["version"] == 3 and restored["name"] == "t"
    assert api.get(f"/api/workflows/{doc['id']}/versions/9").status_code == 404


def test_delete(api):
    doc = new_doc()
    api.post("/api/workflows", json=doc)
    assert api.delete(f"/api/workflows/{doc['id']}").status_code == 204
    missing = api.get(f"/api/workflows/{doc['id']}")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_saving_an_invalid_workflow_keeps_it_and_lists_problems(api):
    doc = new_doc()
    doc["nodes"][0]["config"]["code"] = "def node(r):\n    return (\n"
    created = api.post("/api/workflows", json=doc).json()
    [problem] = created["problems"]
    assert problem["node"] == "a" and problem["line"] == 2


def test_validate_endpoint_reports_every_problem(api):
    doc = new_doc()
    doc["nodes"].append({"id": "b", "type": "nope", "config": {}})
    doc["edges"] = [{"source": "a", "target": "b"}, {"source": "b", "target": "a"}]
    result = api.post("/api/validate", json=doc).json()
    assert result["valid"] is False
    assert sorted(p["code"] for p in result["problems"]) == ["cycle", "unknown_type"]


def test_import_takes_a_free_id_and_export_round_trips(api):
    doc = new_doc()
    api.post("/api/workflows", json=doc)
    imported = api.post("/api/workflows/import", json=doc)
    assert imported.status_code == 201 and imported.json()["id"] == f"{doc['id']}-2"
    exported = api.get(f"/api/workflows/{doc['id']}/export")
    assert exported.headers["content-disposition"].endswith(f'{doc["id"]}.json"')
    assert exported.json()["nodes"] == api.get(f"/api/workflows/{doc['id']}").json()["nodes"]


@pytest.mark.parametrize("body, status, error", [
    ({"id": "Bad Name!"}, 422, "invalid_workflow"),
    ({"id": "ok", "nodes": [{"id": "a"}]}, 422, "invalid_workflow"),
    ([1, 2, 3], 422, "invalid_request"),
])
def test_bad_documents_get_json_errors_not_500(api, body, status, error):
    response = api.post("/api/workflows", json=body)
    assert response.status_code == status and response.json()["error"] == error and response.json()["detail"]


def test_malformed_json_body_is_422(api):
    response = api.post("/api/workflows", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"


def test_save_must_name_its_base_version_and_matching_id(api):
    doc = new_doc()
    api.post("/api/workflows", json=doc)
    assert api.put(f"/api/workflows/{doc['id']}", json={k: v for k, v in doc.items()}).status_code == 422
    other = api.put(f"/api/workflows/{doc['id']}", json={**doc, "id": "someone-else", "version": 1})
    assert other.status_code == 422 and "does not match" in other.json()["detail"]


def test_schedule_shows_next_five_runs_and_cron_check(api):
    doc = new_doc(schedule={"cron": "0 * * * *", "timezone": "Europe/Berlin", "enabled": False})
    api.post("/api/workflows", json=doc)
    schedule = api.get(f"/api/workflows/{doc['id']}/schedule").json()
    assert schedule["cron"] == "0 * * * *" and len(schedule["next_runs"]) == 5
    assert all(t.endswith("+01:00") or t.endswith("+02:00") for t in schedule["next_runs"])
    bad = api.get("/api/cron/next", params={"cron": "61 * * * *"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_cron"


def test_unknown_api_route_is_json_404(api):
    response = api.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_internal_routes_refuse_the_users_token(api):
    assert api.get("/api/internal/workflows/hello").status_code == 403
    assert api.get("/api/internal/secrets/anything", headers={"X-Wirework-Internal-Token": "guess"}).status_code == 403


def test_get_edit_put_round_trip(api):
    doc = new_doc()
    api.post("/api/workflows", json=doc)
    fetched = api.get(f"/api/workflows/{doc['id']}").json()
    assert "problems" in fetched
    fetched["name"] = "renamed"
    saved = api.put(f"/api/workflows/{doc['id']}", json=fetched)
    assert saved.status_code == 200 and saved.json()["name"] == "renamed"


NOTE = {"id": "note", "text": "scrape runs hourly", "position": {"x": 10, "y": -40}, "width": 240, "height": 90}


def test_notes_are_saved_with_versions_exported_and_imported(api):
    doc = new_doc(notes=[NOTE])
    created = api.post("/api/workflows", json=doc).json()
    assert created["notes"] == [NOTE]
    edited = {**NOTE, "text": "now every 15 minutes"}
    api.put(f"/api/workflows/{doc['id']}", json={**doc, "version": 1, "notes": [edited]})
    assert api.get(f"/api/workflows/{doc['id']}").json()["notes"] == [edited]
    assert api.get(f"/api/workflows/{doc['id']}/versions/1").json()["notes"] == [NOTE]
    exported = api.get(f"/api/workflows/{doc['id']}/export").json()
    assert exported["notes"] == [edited]
    imported = api.post("/api/workflows/import", json=exported).json()
    assert imported["notes"] == [edited]
    restored = api.post(f"/api/workflows/{doc['id']}/versions/1/restore").json()
    assert restored["notes"] == [NOTE]
    # A document without notes (every older flow file) still loads, with none.
    assert api.post("/api/workflows", json=new_doc()).json()["notes"] == []


@pytest.mark.parametrize("note", [{"id": "bad id!"}, {"id": "n", "text": 3}, {"id": "n", "width": -1}, {"id": "n", "colour": "red"}])
def test_bad_notes_are_a_422_naming_the_field(api, note):
    response = api.post("/api/workflows", json=new_doc(notes=[note]))
    assert response.status_code == 422 and response.json()["error"] == "invalid_workflow"
    assert "notes" in response.json()["detail"]
