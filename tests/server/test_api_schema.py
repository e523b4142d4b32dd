"""The API's OpenAPI document (built from engine/server/schemas/, no server started):
every body and answer is typed, free-form objects are only where users own the data,
statuses are enums, errors are ErrorResponse."""

from __future__ import annotations

import pytest

from engine.server.openapi import openapi_document

# Where the data really is the user's: records, a node's or heuristic's config, a store
# filter, a node type's JSON Schema.
# "detail": /api/health's per-component figures (pid, restarts, port…), which differ by component.
# "pinned": a node's pinned records (issue 16), records like any other.
USER_DATA = {"config", "config_schema", "data", "where", "records", "sample", "Record", "detail", "pinned"}


@pytest.fixture(scope="module")
def spec():
    return openapi_document()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def free_form_objects(node, where=()):
    """Locations of objects that take any keys, named by the nearest property (or title)."""
    if isinstance(node, dict):
        if node.get("additionalProperties") is True:
            yield node.get("title") if node.get("title") in USER_DATA else next(
                (w for w in reversed(where) if w not in ("items", "anyOf", "schema", "properties")), "?")
        for key, value in node.items():
            yield from free_form_objects(value, (*where, key) if not key.isdigit() else where)
    elif isinstance(node, list):
        for value in node:
            yield from free_form_objects(value, where)


def test_free_form_objects_are_only_user_data(spec):
    assert set(free_form_objects(spec)) <= USER_DATA


def test_every_json_body_and_answer_has_a_schema(spec):
    untyped = []
    for name, operation in operations(spec):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and not body.get("schema"):
            untyped.append(f"{name} body")
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content is not None and not content.get("schema"):
                untyped.append(f"{name} {status}")
    assert untyped == []


def test_post_and_put_routes_declare_their_bodies(spec):
    bodiless = {"POST /api/workflows/{workflow_id}/versions/{version}/restore", "POST /api/runs/{run_id}/cancel",
                "POST /api/labeling/projects/{project}/sync", "POST /api/storage/prune",
                "POST /api/stores/{name}/writes", "POST /api/stores/{name}/writes/{write_id}/commit"}
    missing = {name for name, operation in operations(spec)
               if name.split()[0] in ("POST", "PUT") and "requestBody" not in operation}
    assert missing == bodiless


def test_errors_are_declared_as_error_responses(spec):
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for name, operation in operations(spec):
        if " /api/" in name:
            assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"}, name


def test_statuses_are_enums(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["RunStatus"]["enum"] == ["queued", "running", "cancelling", "completed", "failed", "cancelled",
                                            "crashed"]
    assert "not_run" in schemas["NodeStatus"]["enum"]
    assert schemas["RunResponse"]["properties"]["status"] == {"$ref": "#/components/schemas/RunStatus"}
    assert schemas["NodeRunResponse"]["properties"]["status"] == {"$ref": "#/components/schemas/NodeStatus"}
