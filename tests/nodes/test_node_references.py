"""`NodeType.references()`: every secret, store and labeling project a node reaches.

The API issues each run a token that reads exactly what the run's nodes reference, so
the declared references must be complete. Each built-in node type is run here against
real components (a LocalStoreClient on a DuckDB file, a LabelingService, local HTTP
servers) through a client that records every name the node asks for; what it asked for
must be what `references()` declared.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import logging
from typing import Any

import pytest

from engine.model.validation import instantiate, validate_workflow
from nodes import NodeContext, NodeReferences, NodeType, default_registry
from stores import LocalStoreClient
from tests.builders import node, workflow
from tests.news_site import listing_config, serve_news_site

FAST = {"max_retries": 0, "backoff_s": 0.01, "max_backoff_s": 0.05}


class RecordingClient:
    """Wraps a real store client and records every secret, store and project name used.

    Calls that would reveal names the node did not ask for (listing stores or secrets)
    are recorded under `listed`: a node must never need them."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.secrets: set[str] = set()
        self.stores: set[str] = set()
        self.projects: set[str] = set()
        self.listed: list[str] = []

    def get_secret(self, name: str) -> str:
        self.secrets.add(name)
        return self.inner.get_secret(name)

    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict:
        self.projects.add(project)
        return self.inner.labeling_bundle(project, tasks)

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self.inner, attr)
        if not callable(target):
            return target
        if attr.startswith("list_"):
            self.listed.append(attr)
            return target
        signature = inspect.signature(target)

        @functools.wraps(target)  # keeps the signature (store.write looks for `create`)
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            for key in ("name", "store"):
                if key in bound.arguments:
                    self.stores.add(bound.arguments[key])
            return target(*args, **kwargs)

        return call

    def used(self) -> NodeReferences:
        return NodeReferences(frozenset(self.secrets), frozenset(self.stores), frozenset(self.projects))


def make(type_id: str, config: dict, node_id: str = "n") -> NodeType:
    instance = instantiate(default_registry().get(type_id), node_id, config)
    assert not instance.check(), [p.message for p in instance.check()]
    return instance


def run_recorded(instance: NodeType, client: RecordingClient, records: list[dict] | None = None) -> list[dict]:
    ctx = NodeContext(workflow_id="refs", run_id="run-1", node_id=instance.node_id,
                      logger=logging.getLogger(f"wirework.node.{instance.node_id}"),
                      trigger={"id": "run-1", "trigger": "manual", "payload": None, "time": "2026-11-23T00:00:00Z"},
                      store_client=client)
    out = instance.run(ctx, records if records is not None else [dict(ctx.trigger)])
    for action in ctx.success_actions:  # e.g. the incremental cursor: it must stay within the references too
        action()
    return out


def assert_complete(instance: NodeType, client: RecordingClient, expected: NodeReferences) -> None:
    assert instance.references() == expected
    assert client.used() == expected  # everything the node reached, and only that
    assert client.listed == []


@pytest.fixture
def store_client(tmp_path):
    client = LocalStoreClient(tmp_path / "data")
    yield client
    client.close()


# -- the declared type -------------------------------------------------------------------------

def test_node_references_is_a_frozen_value_with_empty_defaults():
    empty = NodeReferences()
    assert empty.secrets == empty.stores == empty.projects == frozenset() and not empty
    with pytest.raises(dataclasses.FrozenInstanceError):
        empty.secrets = frozenset({"x"})  # type: ignore[misc]
    both = NodeReferences.of(secrets=["a", ""], stores=["s"]) | NodeReferences.of(secrets=["b"], projects=["p"])
    assert both == NodeReferences(frozenset({"a", "b"}), frozenset({"s"}), frozenset({"p"}))
    assert hash(both) == hash(NodeReferences(frozenset({"b", "a"}), frozenset({"s"}), frozenset({"p"})))


def test_a_node_type_references_nothing_by_default():
    class Plain(NodeType):
        type = "test.plain"
        category = "transform"

    assert Plain(Plain.Config(), "p").references() == NodeReferences()


# -- every built-in node type ----------------------------------------------------------------

COVERED = {"python.map", "python.yield", "python.aggregate", "webhook.post", "slack.post", "store.read",
           "store.write", "labeling.enrich", "http.scrape"}


def test_every_built_in_node_type_is_covered_here():
    from nodes.registry import _builtin_types

    assert {t.type for t in _builtin_types()} == COVERED


@pytest.mark.parametrize("type_id, code", [
    ("python.map", 'def node(record: dict) -> dict:\n    record["k"] = secrets["api-key"] + secrets["db-pass"]\n'
                   "    return record\n"),
    ("python.yield", 'def node(record: dict):\n    yield {"id": "1", "k": secrets["api-key"], "p": secrets["db-pass"]}\n'),
    ("python.aggregate", 'def node(records: list[dict]) -> dict:\n'
                         '    return {"id": "a", "k": secrets["api-key"], "p": secrets["db-pass"]}\n'),
])
def test_python_nodes_reference_their_declared_secrets(store_client, type_id, code):
    store_client.set_secret("api-key", "sk-live-0123456789")
    store_client.set_secret("db-pass", "hunter2hunter2")
    store_client.set_secret("other", "never-read-1234")
    instance = make(type_id, {"code": code, "secrets": ["api-key", "db-pass"]})
    client = RecordingClient(store_client)
    [out] = run_recorded(instance, client)
    assert out["k"].startswith("sk-live-")
    assert_complete(instance, client, NodeReferences(secrets=frozenset({"api-key", "db-pass"})))


def test_python_nodes_without_secrets_reference_nothing(store_client):
    for type_id in ("python.map", "python.yield", "python.aggregate"):
        instance = make(type_id, {})
        client = RecordingClient(store_client)
        run_recorded(instance, client)
        assert_complete(instance, client, NodeReferences())


def test_webhook_references_its_target_and_authorization_secrets(httpserver, store_client):
    httpserver.expect_request("/hook/tok3n-abcdef", method="POST").respond_with_data("ok")
    store_client.set_secret("ops-hook", httpserver.url_for("/hook/tok3n-abcdef"), kind="webhook")
    store_client.set_secret("ops-auth", "Bearer abcdefgh12345678")
    instance = make("webhook.post", {"target": "ops-hook", "auth_secret": "ops-auth", **FAST})
    client = RecordingClient(store_client)
    run_recorded(instance, client)
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer abcdefgh12345678"
    assert_complete(instance, client, NodeReferences(secrets=frozenset({"ops-hook", "ops-auth"})))

    target_only = make("webhook.post", {"target": "ops-hook", **FAST})
    client = RecordingClient(store_client)
    run_recorded(target_only, client)
    assert_complete(target_only, client, NodeReferences(secrets=frozenset({"ops-hook"})))


def test_webhook_to_a_plain_url_references_nothing(httpserver, store_client):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    instance = make("webhook.post", {"url": httpserver.url_for("/hook"), **FAST})
    client = RecordingClient(store_client)
    run_recorded(instance, client)
    assert_complete(instance, client, NodeReferences())


def test_slack_references_its_webhook_secret(httpserver, store_client):
    httpserver.expect_request("/services/T1/B2/slacktok3n", method="POST").respond_with_data("ok")
    store_client.set_secret("slack-news", httpserver.url_for("/services/T1/B2/slacktok3n"), kind="webhook")
    instance = make("slack.post", {"webhook_secret": "slack-news", **FAST})
    client = RecordingClient(store_client)
    run_recorded(instance, client, [{"id": "1", "text": "hello"}])
    assert_complete(instance, client, NodeReferences(secrets=frozenset({"slack-news"})))

    raw = make("slack.post", {"webhook_url": httpserver.url_for("/services/T1/B2/slacktok3n"), **FAST})
    assert raw.references() == NodeReferences()


def test_store_write_and_every_read_mode_reference_their_store(store_client):
    writer = make("store.write", {"store": "news"})
    client = RecordingClient(store_client)
    run_recorded(writer, client, [{"id": "a", "lang": "en"}, {"id": "b", "lang": "de"}])
    assert_complete(writer, client, NodeReferences(stores=frozenset({"news"})))

    no_create = make("store.write", {"store": "news", "create": False})
    client = RecordingClient(store_client)
    run_recorded(no_create, client, [{"id": "c", "lang": "en"}])
    assert_complete(no_create, client, NodeReferences(stores=frozenset({"news"})))

    store_client.create_store("other")
    for index, config in enumerate(({"mode": "all"}, {"mode": "filter", "where": {"lang": "en"}},
                                    {"mode": "limit", "limit": 1}, {"mode": "incremental"},
                                    {"mode": "incremental", "limit": 1})):
        reader = make("store.read", {"store": "news", **config}, node_id=f"reader{index}")
        client = RecordingClient(store_client)
        out = run_recorded(reader, client, [])
        assert out, config
        assert_complete(reader, client, NodeReferences(stores=frozenset({"news"})))


def test_labeling_enrich_references_its_project(tmp_path, store_client):
    from stores.labeling import LabelingService, LabelingStoreClient

    store_client.create_store("headlines")
    store_client.upsert("headlines", [{"id": "1", "headline": "Acme shares soar"}])
    service = LabelingService(tmp_path / "labeling.duckdb", store_client)
    try:
        service.create_project("stocknews", "headlines")
        service.create_task("stocknews", "sentiment", ["positive", "negative"], ["headline"])
        service.set_lookup_list("stocknews", "up-words", ["soar", "soars"])
        service.add_lookup_heuristic("stocknews", "sentiment", "up", "up-words", "positive")
        instance = make("labeling.enrich", {"project": "stocknews"})
        client = RecordingClient(LabelingStoreClient(store_client, service))
        [out] = run_recorded(instance, client, [{"id": "x", "headline": "Globex soars on earnings"}])
        assert out["prediction"]["results"]["sentiment"]["prediction"] == "positive"
        assert_complete(instance, client, NodeReferences(projects=frozenset({"stocknews"})))
    finally:
        service.close()


def test_http_scrape_references_nothing(httpserver, store_client):
    start = serve_news_site(httpserver)
    for config in (listing_config(start), {"mode": "code", "code": (
            "def node(record: dict):\n    yield {'id': 'one', 'url': " + json.dumps(start) + "}\n")}):
        instance = make("http.scrape", config)
        client = RecordingClient(store_client)
        assert run_recorded(instance, client)
        assert_complete(instance, client, NodeReferences())


def test_secret_names_of_python_nodes_follow_the_store_name_rule():
    problems = validate_workflow(workflow([
        node("m", "python.map", config={"code": "def node(r):\n    return r\n", "secrets": ["Not A Name"]}),
    ], []))
    assert [(p.node, p.field) for p in problems] == [("m", "secrets.0")] and "pattern" in problems[0].message
    schema = default_registry().get("python.map").Config.model_json_schema()
    field = schema["properties"]["secrets"]
    assert field["title"] == "Secrets" and 'secrets["name"]' in field["description"]
    assert field["items"]["pattern"] == r"^[a-z][a-z0-9_-]{0,62}$"
