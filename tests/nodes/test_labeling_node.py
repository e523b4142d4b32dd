"""`labeling.enrich` through the real executor and Prefect server: Kern-style code reads
the prediction unmodified, records that never reached the project are enriched (each
naming the model version that labelled it), an enrichment run never trains, and a
labeling function's bug is reported with its heuristic and line."""

from __future__ import annotations

import pytest

from engine.execution.local_run import run_workflow
from stores.labeling import LabelingStoreClient
from stores.labeling.demo import LABELS, headlines, lookup_lists
from tests.builders import node, workflow
from tests.labeling_fixtures import embedder, service, store_client  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("prefect_api_url")

FRESH = [  # not in the store nor the project: straight from a "scrape"
    "Zenith Corp shares jump after profit beats estimates",
    "Zenith Corp announces 900 layoffs amid restructuring",
    "Zenith Corp to report third-quarter results on Friday",
    "Orbit Airlines wins $300 million contract to supply jets",
]

SCRAPE = f"""
def node(record: dict):
    from uuid import uuid4
    for headline in {FRESH!r}:
        yield {{"id": str(uuid4()), "headline": headline}}
"""

# The aggregate code of Kern AI's stock-news workflow, as users paste it.
KERN_AGGREGATE = """
def node(records: list[dict]) -> dict:
    from datetime import datetime
    counts = {}
    for record in records:
        sentiment = record["prediction"]["results"]["sentiment"]["prediction"]
        counts[sentiment] = counts.get(sentiment, 0) + 1
    text = ", ".join(f"{label}: {n}" for label, n in sorted(counts.items(), key=lambda kv: str(kv[0])))
    return {"id": str(datetime.today()), "text": text}
"""


@pytest.fixture
def stock_project(service, store_client, embedder):
    """The demo project: 90 demo headlines in a store, 45 labelled by hand, a lookup
    list per label and an active learner, trained (model version stored); no training
    left running in the background."""
    demo = headlines()[:90]
    store_client.create_store("news")
    store_client.upsert("news", [{"id": r["id"], "headline": r["headline"]} for r in demo])
    service.create_project("stocknews", "news")
    service.create_task("stocknews", "sentiment", LABELS, ["headline"])
    for name, terms in lookup_lists().items():
        service.set_lookup_list("stocknews", name, terms)
    for name, label in zip(("positive-terms", "neutral-terms", "negative-terms"), LABELS):
        service.add_lookup_heuristic("stocknews", "sentiment", name, name, label)
    service.add_active_learner("stocknews", "sentiment", "learner")
    for record in demo[:45]:
        service.set_label("stocknews", "sentiment", record["id"], record["label"], user="demo")
    service.train("stocknews", "sentiment")
    assert service.wait_for_training("stocknews")  # jobs the labels started (every 10) are done
    return "stocknews"


def enrich_flow(config: dict, extra_fields: str = ""):
    return workflow([
        node("scrape", "python.yield",
             SCRAPE.replace('"headline": headline}', '"headline": headline' + extra_fields + "}")),
        node("enrich", "labeling.enrich", config=config),
        node("report", "python.aggregate", KERN_AGGREGATE),
    ], [("scrape", "enrich"), ("enrich", "report")], wf_id="stock-news")


def test_enrichment_node_gives_kern_code_the_prediction_it_reads(app_db, service, store_client, stock_project):
    client = LabelingStoreClient(store_client, service)
    summary = run_workflow(enrich_flow({"project": stock_project, "tasks": ["sentiment"]}),
                           app_db=app_db, store_client=client)
    assert summary.status == "completed", summary.error
    enriched = summary.nodes["enrich"].sample
    assert [r["headline"] for r in enriched] == FRESH
    results = [r["prediction"]["results"]["sentiment"] for r in enriched]
    version = service.latest_model(stock_project, "sentiment")["version"]
    for result in results:
        assert set(result) == {"prediction", "confidence", "votes", "model_version"}
        # the learner votes on every record: every record gets a label, with its confidence
        assert result["prediction"] in LABELS and 0.0 < result["confidence"] <= 1.0
        assert result["model_version"] == version and "learner" in result["votes"]
    by_headline = {r["headline"]: r["prediction"]["results"]["sentiment"] for r in enriched}
    jump = by_headline[FRESH[0]]
    assert jump["prediction"] == "rather positive" and jump["votes"]["positive-terms"] == "rather positive"
    assert 0.5 < jump["confidence"] <= 1.0
    assert by_headline[FRESH[1]]["prediction"] == "rather negative"
    assert by_headline[FRESH[2]]["votes"].get("neutral-terms") == "neutral"
    counts: dict = {}
    for result in results:
        counts[result["prediction"]] = counts.get(result["prediction"], 0) + 1
    expected = ", ".join(f"{label}: {n}" for label, n in sorted(counts.items(), key=lambda kv: str(kv[0])))
    assert summary.nodes["report"].sample[0]["text"] == expected


def test_a_buggy_labeling_function_fails_the_node_at_its_line(app_db, service, store_client, stock_project):
    service.add_labeling_function(stock_project, "sentiment", "price-move", (
        "def lf(record):\n"
        "    if 'price' in record:\n"
        "        change = record['price'] / record['previous_close'] - 1\n"
        "        return 'rather positive' if change > 0.05 else None\n"))
    client = LabelingStoreClient(store_client, service)
    summary = run_workflow(enrich_flow({"project": stock_project}, ', "price": 10.5'), app_db=app_db,
                           store_client=client)
    assert summary.status == "failed"
    error = summary.nodes["enrich"].error
    assert error["line"] == 3 and error["type"] == "KeyError"
    assert 'heuristic "price-move"' in error["message"] and 'project "stocknews"' in error["message"]
    assert error["source_line"].startswith("change = record['price']") and error["record_id"]


def test_enrichment_node_config_is_checked_by_its_schema():
    from nodes import default_registry

    node_type = default_registry().get("labeling.enrich")
    schema = node_type.describe()["config_schema"]
    assert schema["required"] == ["project"] and node_type.category == "transform"
    with pytest.raises(ValueError):
        node_type.Config.model_validate({"project": "Not A Name"})


def serve_bundle_route(httpserver, service) -> list:
    """The server's internal bundle route on a real HTTP server, answered by the service as
    the API does; returns the list of calls it received."""
    import json

    from werkzeug import Response

    calls: list = []
    prefix, suffix = "/api/internal/labeling/projects/", "/bundle"

    def handler(request):
        body = json.loads(request.get_data() or b"null")
        calls.append((request.method, request.path, body))
        bundle = service.enrichment_bundle(request.path[len(prefix):-len(suffix)], body["tasks"])
        return Response(json.dumps(bundle), content_type="application/json")

    httpserver.expect_request(f"{prefix}stocknews{suffix}", method="POST").respond_with_handler(handler)
    return calls


def test_enrichment_node_reaches_the_project_through_the_internal_route(service, stock_project, httpserver):
    import logging

    from engine.client.store_client import HttpStoreClient
    from nodes import NodeContext, default_registry

    node_type = default_registry().get("labeling.enrich")
    node = node_type(node_type.Config(project=stock_project, batch_size=2), node_id="enrich")
    calls = serve_bundle_route(httpserver, service)
    client = HttpStoreClient(httpserver.url_for("/"), "run-token")
    ctx = NodeContext(workflow_id="wf", run_id="run", node_id="enrich", logger=logging.getLogger("test"),
                      trigger={}, store_client=client)
    out = node.run(ctx, [{"id": str(i), "headline": h} for i, h in enumerate(FRESH)])
    client.close()
    assert calls == [("POST", "/api/internal/labeling/projects/stocknews/bundle", {"tasks": None})]
    assert [r["prediction"]["results"]["sentiment"]["prediction"] for r in out][:2] == \
        ["rather positive", "rather negative"]


def test_an_enrichment_run_never_trains(app_db, service, store_client, stock_project):
    """Serving a model costs no training: the run's bundle and its enrichment fit no
    logistic regression and start no training job, and every record names the version."""
    from stores.labeling.learner import fit_count

    versions = service.model_versions(stock_project, "sentiment")
    fits = fit_count()
    client = LabelingStoreClient(store_client, service)
    for _ in range(2):  # serve many: two runs on the one trained version
        summary = run_workflow(enrich_flow({"project": stock_project, "tasks": ["sentiment"]}),
                               app_db=app_db, store_client=client)
        assert summary.status == "completed", summary.error
        enriched = summary.nodes["enrich"].sample
        assert {r["prediction"]["results"]["sentiment"]["model_version"] for r in enriched} == \
            {versions[-1]["version"]}
    assert fit_count() == fits  # counted in learner.fit_logistic_regression, every fold and C
    assert not service.training_jobs.running(stock_project)
    assert service.model_versions(stock_project, "sentiment") == versions


def test_the_typed_bundle_route_keeps_the_model_version_and_minimum_confidence(service, stock_project):
    """What the server's response model lets through is what a worker enriches with."""
    from engine.server.schemas.labeling import EnrichmentBundleResponse

    bundle = service.enrichment_bundle(stock_project, None)
    sent = EnrichmentBundleResponse.model_validate(bundle).model_dump(mode="json")
    task, original = sent["tasks"][0], bundle["tasks"][0]
    assert original["model_version"] is not None
    assert task["model_version"] == original["model_version"]
    assert task["min_confidence"] == original["min_confidence"]
    learners = [h for h in task["heuristics"] if h["kind"] == "active_learner"]
    assert learners and all(h["model_version"] == original["model_version"] for h in learners)


def test_the_first_chunk_is_small_in_records_and_text_then_chunks_are_big(service, stock_project):
    """A warm run's first records come out fast whatever the records' sizes (16 long reviews
    took ~1 s to embed on CPU), and after that vectors are asked for in big chunks, which
    the embedding service length-sorts as a whole (little padding)."""
    from nodes.labeling_node import EMBED_CHUNK, FIRST_BATCH, FIRST_BATCH_CHARS, _chunks
    from stores.labeling import ProjectEnricher

    enricher = ProjectEnricher(service.enrichment_bundle(stock_project))
    assert enricher.needs_embeddings
    short = [{"id": str(i), "headline": "Zenith Corp shares jump"} for i in range(5000)]
    assert _chunks(short, enricher, 256) == [(0, FIRST_BATCH), (FIRST_BATCH, 5000)]
    long = [{"id": str(i), "headline": "a long review " * 60} for i in range(5000)]  # 840 characters each
    chunks = _chunks(long, enricher, 256)
    assert chunks[0] == (0, FIRST_BATCH_CHARS // 840) and chunks[1:] == [(2, 5000)]
    assert _chunks(long[:1], enricher, 256) == [(0, 1)]  # never an empty first chunk
    many = _chunks(short * 5, enricher, 256)
    sizes = [end - start for start, end in many[1:]]
    assert many[1][0] == FIRST_BATCH and many[-1][1] == 25000
    assert max(sizes) <= EMBED_CHUNK and max(sizes) - min(sizes) <= 1  # equal chunks
    assert _chunks(short[:3], enricher, 2) == [(0, 2), (2, 3)]  # never more than batch_size first
