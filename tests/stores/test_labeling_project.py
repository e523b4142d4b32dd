"""The labeling project against a real shared store and real DuckDB files: sync, manual
labels, cached embeddings (real shipped model on CPU), heuristic statistics, weak
supervision and labeling-function errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stores.labeling import HeuristicError, InvalidName, LabelingInvalid, NotFound, UnknownLabel
from tests.labeling_fixtures import embedder, service, store_client  # noqa: F401  (fixtures)

POS, NEU, NEG = "rather positive", "neutral", "rather negative"
LABELS = [POS, NEU, NEG]

HEADLINES = {
    "r1": "Acme shares jump after profit beats estimates",
    "r2": "Acme shares slump after quarterly loss",
    "r3": "Acme to report results on Monday",
    "r4": "Acme shares jump despite lawsuit",
    "r5": "Quarterly update from Acme",
}


def make_project(service, store_client, headlines=HEADLINES, name="news"):
    store_client.create_store("headlines")
    store_client.upsert("headlines", [{"id": k, "headline": v} for k, v in headlines.items()])
    service.create_project(name, "headlines")
    service.create_task(name, "sentiment", LABELS, ["headline"])
    return name


def test_new_and_changed_store_records_appear_without_a_manual_sync(service, store_client):
    project = make_project(service, store_client)
    assert [r["id"] for r in service.list_records(project)] == ["r1", "r2", "r3", "r4", "r5"]
    store_client.upsert("headlines", [{"id": "r6", "headline": "Acme opens a plant"},
                                      {"id": "r1", "headline": "Acme shares soar"}])
    records = {r["id"]: r["data"] for r in service.list_records(project)}
    assert len(records) == 6 and records["r6"]["headline"] == "Acme opens a plant"
    assert records["r1"]["headline"] == "Acme shares soar"
    assert service.get_project(project)["records"] == 6


def test_sync_pages_through_a_store_larger_than_one_page(service, store_client, monkeypatch):
    import stores.labeling.service as service_module

    monkeypatch.setattr(service_module, "SYNC_PAGE", 2)
    project = make_project(service, store_client)
    assert service.sync(project) == {"added": 5, "updated": 0, "synced_seq": 5}
    store_client.upsert("headlines", [{"id": "r1", "headline": "Acme shares soar"}])
    assert service.sync(project) == {"added": 0, "updated": 1, "synced_seq": 6}


def test_a_project_whose_store_does_not_exist_yet_is_empty_until_it_does(service, store_client):
    service.create_project("later", "headlines")
    assert service.list_records("later") == []
    store_client.create_store("headlines")
    store_client.upsert("headlines", [{"id": "a", "headline": "Acme opens a plant"}])
    assert [r["id"] for r in service.list_records("later")] == ["a"]


def test_project_names_are_checked(service):
    with pytest.raises(InvalidName):
        service.create_project("Bad Name", "headlines")
    with pytest.raises(NotFound) as info:
        service.list_tasks("missing")
    assert info.value.project == "missing"


def test_manual_labels_are_set_with_who_and_when_and_cleared(service, store_client):
    project = make_project(service, store_client)
    saved = service.set_label(project, "sentiment", "r1", POS, user="ada")
    assert saved["labeled_by"] == "ada" and saved["labeled_at"]
    service.set_label(project, "sentiment", "r1", NEG, user="bob")  # relabelling replaces
    labels = service.manual_labels(project, "sentiment")
    assert [(l["record_id"], l["label"], l["labeled_by"]) for l in labels] == [("r1", NEG, "bob")]
    assert service.list_records(project, limit=1)[0]["labels"]["sentiment"]["label"] == NEG
    assert service.clear_label(project, "sentiment", "r1") is True
    assert service.clear_label(project, "sentiment", "r1") is False
    assert service.manual_labels(project, "sentiment") == []


def test_manual_labels_refuse_unknown_labels_and_records(service, store_client):
    project = make_project(service, store_client)
    with pytest.raises(UnknownLabel) as info:
        service.set_label(project, "sentiment", "r1", "positive", user="ada")
    assert (info.value.task, info.value.record_id) == ("sentiment", "r1")
    with pytest.raises(NotFound):
        service.set_label(project, "sentiment", "nope", POS, user="ada")


def test_embeddings_are_cached_and_recomputed_only_for_new_or_changed_text(service, store_client, embedder):
    project = make_project(service, store_client)
    before = embedder.texts_encoded
    assert service.compute_embeddings(project) == {"total": 5, "cached": 0, "computed": 5}
    assert embedder.texts_encoded - before == 5
    assert service.compute_embeddings(project) == {"total": 5, "cached": 5, "computed": 0}
    assert embedder.texts_encoded - before == 5  # the model was not called again
    store_client.upsert("headlines", [{"id": "r2", "headline": "Acme shares recover"},
                                      {"id": "r7", "headline": "Acme names a new CEO"},
                                      {"id": "r3", "headline": HEADLINES["r3"], "source": "wire"}])  # same text
    progress = []
    counts = service.compute_embeddings(project, progress=lambda done, total: progress.append((done, total)))
    assert counts == {"total": 6, "cached": 4, "computed": 2}
    assert embedder.texts_encoded - before == 7
    assert progress[-1] == (2, 2)


def test_embeddings_match_sentence_transformers(embedder):
    from sentence_transformers import SentenceTransformer

    from stores.labeling.embeddings import resolve_model_path

    texts = ["Acme shares jump", "A much longer headline about the central bank holding rates steady again"]
    reference = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device=embedder.device).encode(texts)
    # fp16 on CUDA rounds; fp32 on CPU must agree to float noise
    np.testing.assert_allclose(embedder.encode(texts), reference, atol=1e-5 if embedder.device == "cpu" else 2e-2)


def test_the_device_is_cuda_exactly_when_torch_sees_a_gpu(monkeypatch):
    import torch

    from stores.labeling import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == "cpu"


def add_heuristics(service, project):
    service.set_lookup_list(project, "up", ["jump", "beats"])
    service.set_lookup_list(project, "down", ["slump", "lawsuit"])
    service.add_lookup_heuristic(project, "sentiment", "up-words", "up", POS)
    service.add_lookup_heuristic(project, "sentiment", "down-words", "down", NEG)
    service.add_labeling_function(project, "sentiment", "reports", (
        "def lf(record):\n"
        "    if 'report' in record['headline'].lower():\n"
        "        return 'neutral'\n"))
    service.add_labeling_function(project, "sentiment", "shares-up", (
        "def lf(record):\n"
        "    return 'rather positive' if 'shares' in record['headline'] else None\n"))
    for record_id, label in {"r1": POS, "r2": NEG, "r4": NEG}.items():
        service.set_label(project, "sentiment", record_id, label, user="ada")


def test_lookup_and_function_statistics_against_manual_labels(service, store_client):
    project = make_project(service, store_client)
    add_heuristics(service, project)
    stats = {h["name"]: h for h in service.heuristic_statistics(project, "sentiment")["heuristics"]}
    pick = ("coverage", "overlaps", "conflicts", "true_positives", "false_positives", "precision")
    # up-words labels r1, r4 positive; r4 is also labelled negative by down-words; manual: r1 pos, r4 neg
    assert tuple(stats["up-words"][k] for k in pick) == (2, 2, 1, 1, 1, 0.5)
    # down-words labels r2, r4 negative; shares-up disagrees on both; both manual labels agree
    assert tuple(stats["down-words"][k] for k in pick) == (2, 2, 2, 2, 0, 1.0)
    # reports labels r3 only; nobody else and no manual label there
    assert tuple(stats["reports"][k] for k in pick) == (1, 0, 0, 0, 0, None)
    # shares-up labels r1, r2, r4 positive: right on r1 only
    assert tuple(stats["shares-up"][k] for k in pick) == (3, 3, 2, 1, 2, pytest.approx(1 / 3))
    assert stats["shares-up"]["coverage_share"] == pytest.approx(3 / 5)
    assert stats["up-words"]["per_label"][POS]["precision"] == 0.5


def test_weak_supervision_on_the_project_follows_refinerys_rule(service, store_client):
    project = make_project(service, store_client)
    add_heuristics(service, project)
    results = service.weak_supervision(project, "sentiment")["results"]
    # Precision estimates blend the manual grades with the prior (0.8 worth two labels):
    # up-words 1 of 2 right → (1 + 1.6) / 4 = 0.65; shares-up 1 of 3 → 2.6 / 5 = 0.52;
    # down-words 2 of 2 → 3.6 / 4 = 0.9 (issue 14: raw precision gave a heuristic graded
    # on few labels 0 or 1).
    up, shares, down = 0.65, 0.52, 0.9
    # r4: positive 0.65 (up-words) + 0.52 (shares-up) against negative 0.9 (down-words)
    assert results["r4"]["prediction"] == POS
    assert results["r4"]["confidence"] == pytest.approx(1 / (1 + math.exp(-7 * (up + shares - down) + 3)))
    assert results["r4"]["votes"] == {"up-words": POS, "down-words": NEG, "shares-up": POS}
    # r3: only "reports", never graded: the prior 0.8 is the margin
    assert results["r3"]["confidence"] == pytest.approx(1 / (1 + math.exp(-7 * 0.8 + 3)))
    # r1: 0.65 + 0.52 for positive, nothing against it
    assert results["r1"]["prediction"] == POS
    assert results["r1"]["confidence"] == pytest.approx(1 / (1 + math.exp(-7 * (up + shares) + 3)))
    # no heuristic votes on r5: no label, and a confidence of 0 (the output always has one)
    assert results["r5"] == {"prediction": None, "confidence": 0.0, "votes": {}}
    # r2: negative 0.9 against positive 0.52
    assert results["r2"]["prediction"] == NEG
    service.set_weak_supervision(project, c=1.0, k=0.0)
    again = service.weak_supervision(project, "sentiment")["results"]
    assert again["r2"]["confidence"] == pytest.approx(1 / (1 + math.exp(-(down - shares))))
    majority = service.weak_supervision(project, "sentiment", method="majority")["results"]
    assert majority["r4"]["prediction"] == POS  # two heads against one


def test_a_task_minimum_confidence_withholds_labels_but_keeps_the_confidence(service, store_client):
    project = make_project(service, store_client)
    add_heuristics(service, project)
    assert service.list_tasks(project)[0]["min_confidence"] == 0.0  # the default: stored with the task
    assert service.set_task_settings(project, "sentiment", min_confidence=0.9)["min_confidence"] == 0.9
    results = service.weak_supervision(project, "sentiment")["results"]
    # r4 (confidence ≈ 0.25) is now withheld; r1 (≈ 0.99) keeps its label
    assert results["r4"]["prediction"] is None and results["r4"]["confidence"] == pytest.approx(0.2479, abs=1e-3)
    assert results["r1"]["prediction"] == POS
    bundle = service.enrichment_bundle(project)
    assert bundle["tasks"][0]["min_confidence"] == 0.9
    from stores.labeling import ProjectEnricher

    predicted = ProjectEnricher(bundle).predict([{"id": k, "headline": v} for k, v in HEADLINES.items()])
    assert predicted["r4"]["sentiment"]["prediction"] is None
    assert predicted["r4"]["sentiment"]["confidence"] == pytest.approx(results["r4"]["confidence"])
    with pytest.raises(LabelingInvalid):
        service.set_task_settings(project, "sentiment", min_confidence=1.5)


def test_the_bundle_labels_records_as_the_project_does(service, store_client):
    from stores.labeling import ProjectEnricher
    from stores.labeling.weak_supervision import estimated_precision

    project = make_project(service, store_client)
    add_heuristics(service, project)
    bundle = service.enrichment_bundle(project, ["sentiment"])
    stats = service.heuristic_statistics(project, "sentiment")["heuristics"]
    task = bundle["tasks"][0]
    # the bundle carries precision estimates (manual grades blended with the prior)
    assert task["precision"] == {h["name"]: {label: pytest.approx(estimated_precision(s["true_positives"],
                                                                                      s["false_positives"]))
                                             for label, s in h["per_label"].items()} for h in stats}
    assert task["precision"]["up-words"][POS] == pytest.approx(0.65)
    assert next(h for h in task["heuristics"] if h["name"] == "up-words")["terms"] == ["beats", "jump"]
    assert task["model_version"] is None  # nothing trained yet
    records = [{"id": k, "headline": v} for k, v in HEADLINES.items()]
    predicted = ProjectEnricher(bundle).predict(records)
    expected = service.weak_supervision(project, "sentiment")["results"]
    assert {rid: {**p["sentiment"], "model_version": None} for rid, p in predicted.items()} == \
        {rid: {**r, "model_version": None} for rid, r in expected.items()}


ACTIVE = {  # no company appears twice: MiniLM would group headlines by company first
    "p1": "Profit soars to a record high and shares rally",
    "p2": "Earnings beat every forecast as revenue surges",
    "p3": "Stock climbs sharply after a huge contract win",
    "p4": "Outlook raised after a blowout quarter, investors cheer",
    "n1": "Company collapses into bankruptcy after massive losses",
    "n2": "Shares crash as fraud probe widens",
    "n3": "Firm slashes jobs and warns of a deep loss",
    "n4": "Stock plunges after regulators halt its drug",
    "u-pos": "Earnings smash estimates, shares surge to a record",
    "u-neg": "Shares crash as losses deepen and lenders walk away",
}


def reference_out_of_fold(embedder, c, temperature):
    """What the learner's out-of-fold votes should be, computed with scikit-learn directly:
    each labelled record by a model of the stratified 4-fold split (record-id order, as
    learner.py draws them) that did not see it, its probability calibrated by the stored
    temperature."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    labelled = sorted(i for i in ACTIVE if i[0] in "pn")
    y = np.array([POS if i[0] == "p" else NEG for i in labelled])
    x = embedder.encode([ACTIVE[i] for i in labelled]).astype(np.float64)
    votes = {}
    for train, test in StratifiedKFold(n_splits=4, shuffle=True, random_state=0).split(x, y):
        model = LogisticRegression(C=c, max_iter=2000).fit(x[train], y[train])
        score = model.decision_function(x[test]) / temperature
        p_second = 1 / (1 + np.exp(-score))
        for row, i in enumerate(test):
            p = max(p_second[row], 1 - p_second[row])
            votes[labelled[i]] = (model.classes_[int(p_second[row] > 0.5)], p)
    return votes


def test_active_learner_statistics_and_confidence_filter(service, store_client, embedder):
    project = make_project(service, store_client, ACTIVE)
    manual = {i: POS if i[0] == "p" else NEG for i in ACTIVE if i[0] in "pn"}
    for record_id, label in manual.items():
        service.set_label(project, "sentiment", record_id, label, user="ada")
    service.add_active_learner(project, "sentiment", "learner", min_confidence=0.0, c=100.0)
    service.add_active_learner(project, "sentiment", "filtered", min_confidence=0.8, c=100.0)
    service.add_active_learner(project, "sentiment", "strict", min_confidence=1.0)
    # statistics read the trained model, they never train one (issue 14: train once, serve many)
    before = {h["name"]: h for h in service.heuristic_statistics(project, "sentiment")["heuristics"]}
    assert before["learner"]["coverage"] == 0
    trained = service.train(project, "sentiment")
    assert trained["model_version"] == 1 and trained["manual_labels"] == 8
    assert trained["learners"]["learner"]["c"] == 100.0 and trained["learners"]["learner"]["c_source"] == "config"
    assert trained["learners"]["strict"]["c_source"] == "cross-validation"  # no "c": chosen from the grid
    model = service.latest_model(project, "sentiment")
    learner = model["learners"]["learner"]
    temperature = learner["calibration"]["temperature"]
    reference = reference_out_of_fold(embedder, 100.0, temperature)
    assert set(learner["oof"]) == set(reference)
    for record_id, (label, p) in reference.items():
        assert learner["oof"][record_id][0] == label
        assert learner["oof"][record_id][1] == pytest.approx(p, abs=1e-4)
    stats = {h["name"]: h for h in service.heuristic_statistics(project, "sentiment")["heuristics"]}
    for name, threshold in (("learner", 0.0), ("filtered", 0.8)):
        graded = {i: v for i, v in reference.items() if v[1] >= threshold}
        tp = sum(manual[i] == label for i, (label, _) in graded.items())
        got = stats[name]
        assert (got["true_positives"], got["false_positives"]) == (tp, len(graded) - tp), name
    assert stats["learner"]["coverage"] == 10  # min_confidence 0: a vote on every record
    assert stats["filtered"]["coverage"] < 10
    assert stats["strict"]["coverage"] == 0  # no probability reaches 1.0
    # the model trained on all eight labels gets the two clear unlabelled headlines right
    results = service.weak_supervision(project, "sentiment")["results"]
    assert results["u-pos"]["votes"]["learner"] == POS and results["u-neg"]["votes"]["learner"] == NEG
    bundle = service.enrichment_bundle(project)
    learner_item = next(h for h in bundle["tasks"][0]["heuristics"] if h["name"] == "learner")
    assert learner_item["weights"] == learner["weights"] and learner_item["model_version"] == 1
    assert learner_item["weights"]["classes"] == sorted([POS, NEG]) and bundle["tasks"][0]["model_version"] == 1


def test_an_active_learner_without_two_labels_casts_no_votes(service, store_client, embedder):
    project = make_project(service, store_client)
    service.set_label(project, "sentiment", "r1", POS, user="ada")
    service.add_active_learner(project, "sentiment", "learner")
    service.train(project, "sentiment")
    assert service.heuristic_statistics(project, "sentiment")["heuristics"][0]["coverage"] == 0
    assert service.latest_model(project, "sentiment")["learners"]["learner"]["weights"] is None


def test_a_labeling_function_with_a_bug_reports_its_name_line_and_record(service, store_client):
    project = make_project(service, store_client)
    service.add_labeling_function(project, "sentiment", "fifth-word", (
        "def lf(record):\n"
        "    words = record['headline'].split()\n"
        "    if words[5] == 'estimates':\n"
        "        return 'rather positive'\n"))
    with pytest.raises(HeuristicError) as info:
        service.heuristic_statistics(project, "sentiment")
    err = info.value
    assert (err.project, err.task, err.heuristic, err.line) == (project, "sentiment", "fifth-word", 3)
    assert err.record_id == "r4" and err.exception_type == "IndexError"  # r4 has five words
    assert err.source_line == "if words[5] == 'estimates':"
    assert 'heuristic "fifth-word"' in str(err) and "line 3" in str(err)


def test_a_labeling_function_that_does_not_compile_is_refused_when_saved(service, store_client):
    project = make_project(service, store_client)
    with pytest.raises(HeuristicError) as info:
        service.add_labeling_function(project, "sentiment", "typo", "def lf(record):\n    return 'neutral\n")
    assert info.value.heuristic == "typo" and info.value.line == 2
    with pytest.raises(HeuristicError):
        service.add_labeling_function(project, "sentiment", "no-entry", "def label(record):\n    return None\n")


def test_labeling_functions_run_outside_the_service_process(service, store_client):
    import os

    project = make_project(service, store_client)
    service.add_labeling_function(project, "sentiment", "where-am-i", (
        "import os\n"
        f"def lf(record):\n    return 'neutral' if os.getpid() == {os.getpid()} else 'rather positive'\n"))
    stats = service.heuristic_statistics(project, "sentiment")["heuristics"][0]
    assert stats["coverage"] == 5 and stats["per_label"][POS]["coverage"] == 5


def test_a_labeling_function_stuck_in_a_loop_is_stopped(tmp_path, store_client):
    from stores.labeling import LabelingService

    service = LabelingService(tmp_path / "slow.duckdb", store_client, user_code_timeout_s=3)
    try:
        project = make_project(service, store_client)
        service.add_labeling_function(project, "sentiment", "forever",
                                      "def lf(record):\n    while True:\n        pass\n")
        with pytest.raises(HeuristicError) as info:
            service.heuristic_statistics(project, "sentiment")
        assert "forever" in info.value.message and "3 s" in info.value.message
    finally:
        service.close()
