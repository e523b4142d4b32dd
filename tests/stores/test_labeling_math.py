"""Weak-supervision arithmetic, lookup matching, labeling-function compilation and the
exported active-learner weights, without any database or model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stores.labeling.errors import HeuristicError
from stores.labeling.heuristics import LabelingFunction, lookup_pattern, predict_proba, train_logistic_regression
from stores.labeling.tasks import TaskSpec
from stores.labeling.weak_supervision import (WeakSupervisionSettings, estimated_precision, majority_vote,
                                             precision_table, refinery_vote)

POS, NEU, NEG = "rather positive", "neutral", "rather negative"
TASK = TaskSpec("sentiment", (POS, NEU, NEG), ("headline",))


def test_refinery_rule_weighs_precision_times_confidence_and_squashes_the_margin():
    votes = {"lf": (POS, 1.0), "learner": (NEG, 0.95)}
    precision = {"lf": {POS: 0.9}, "learner": {NEG: 0.5}}
    label, confidence = refinery_vote(votes, precision)
    # positive 0.9·1.0 = 0.9; negative 0.5·0.95 = 0.475; margin 0.425;
    # 1 / (1 + e^(−7·0.425 + 3)) = 1 / (1 + e^0.025) = 0.49375
    assert label == POS
    assert confidence == pytest.approx(0.493750, abs=1e-6)


def test_refinery_rule_uses_the_default_precision_for_ungraded_heuristics():
    label, confidence = refinery_vote({"lf": (NEU, 1.0)}, {})
    # 0.8 · 1.0 = 0.8 is the whole margin: 1 / (1 + e^(−5.6 + 3)) = 0.930862
    assert (label, round(confidence, 6)) == (NEU, 0.930862)


def test_refinery_rule_labels_every_voted_record_and_only_a_minimum_confidence_withholds_it():
    # Changed with issue 14: a margin ≤ 0 used to mean "no label"; now the winner comes with
    # a low confidence, and "no label" only below the task's minimum confidence.
    votes = {"a": (POS, 1.0), "b": (NEG, 1.0)}
    label, confidence = refinery_vote(votes, {"a": {POS: 0.7}, "b": {NEG: 0.7}}, labels=(POS, NEU, NEG))
    # a tie goes to the label first in the task's order; margin 0 → 1 / (1 + e^3)
    assert label == POS and confidence == pytest.approx(1 / (1 + math.exp(3)))
    # three-way: 0.6 for positive against 0.4 + 0.3 for the others: margin −0.1
    votes3 = {"a": (POS, 1.0), "b": (NEG, 1.0), "c": (NEU, 1.0)}
    label, confidence = refinery_vote(votes3, {"a": {POS: 0.6}, "b": {NEG: 0.4}, "c": {NEU: 0.3}})
    assert label == POS and confidence == pytest.approx(1 / (1 + math.exp(0.7 + 3)))
    assert refinery_vote(votes3, {"a": {POS: 0.6}, "b": {NEG: 0.4}, "c": {NEU: 0.3}}, min_confidence=0.5) == (
        None, pytest.approx(confidence))  # withheld, but the confidence is still reported
    assert refinery_vote({}, {}) == (None, 0.0)


def test_precision_estimates_blend_manual_grades_with_the_prior():
    settings = WeakSupervisionSettings()  # prior 0.8 worth 2 labels
    assert estimated_precision(0, 0, settings) == pytest.approx(0.8)
    # one wrong label no longer means precision 0 (and no weight at all)
    assert estimated_precision(0, 1, settings) == pytest.approx(1.6 / 3)
    assert estimated_precision(1, 0, settings) == pytest.approx(2.6 / 3)
    # many grades: the measured precision dominates
    assert estimated_precision(30, 70, settings) == pytest.approx(31.6 / 102)
    stats = {"lf": {"per_label": {POS: {"true_positives": 0, "false_positives": 1, "precision": 0.0}}}}
    assert precision_table(stats, settings) == {"lf": {POS: pytest.approx(1.6 / 3)}}
    label, confidence = refinery_vote({"lf": (POS, 1.0)}, precision_table(stats, settings))
    assert label == POS and confidence > 0


def test_refinery_constants_are_configurable():
    settings = WeakSupervisionSettings(c=2.0, k=0.0, default_precision=0.5)
    label, confidence = refinery_vote({"lf": (POS, 1.0)}, {}, settings)
    assert confidence == pytest.approx(1 / (1 + math.exp(-1.0)))  # margin 0.5 · c 2 = 1


def test_majority_vote_counts_heads_and_refuses_ties():
    assert majority_vote({"a": (POS, 1.0), "b": (POS, 0.2), "c": (NEG, 1.0)}) == (POS, pytest.approx(2 / 3))
    assert majority_vote({"a": (POS, 1.0), "b": (NEG, 1.0)}) == (None, None)


def test_lookup_terms_match_whole_words_case_insensitively():
    pattern = lookup_pattern(["jump", "S&P", "all-time high"])
    assert pattern.search("Acme shares JUMP")
    assert pattern.search("the s&p closes at an All-Time High")
    assert not pattern.search("Acme jumps")  # a longer word is not the term
    assert not pattern.search("bigjump")
    assert lookup_pattern(["  ", ""]) is None


def test_a_labeling_function_returning_an_unknown_label_names_heuristic_and_record():
    lf = LabelingFunction("shouty", TASK, "def lf(record):\n    return 'positive'\n", "demo")
    with pytest.raises(HeuristicError) as info:
        lf.votes([{"id": "r1", "headline": "x"}])
    err = info.value
    assert (err.project, err.task, err.heuristic, err.record_id) == ("demo", "sentiment", "shouty", "r1")
    assert "'positive'" in err.message and "rather positive" in err.message


def test_a_labeling_function_with_a_syntax_error_reports_its_line():
    lf = LabelingFunction("broken", TASK, "def lf(record):\n    return (\n", "demo")
    with pytest.raises(HeuristicError) as info:
        lf.votes([])
    assert info.value.heuristic == "broken" and info.value.line == 2


@pytest.mark.parametrize("classes", [2, 3])
def test_exported_weights_predict_what_scikit_learn_predicts(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8))
    y = [f"c{i % classes}" for i in range(60)]
    x[:, 0] += [i % classes for i in range(60)]
    weights = train_logistic_regression(x, y, c=3.0)
    reference = LogisticRegression(C=3.0, max_iter=1000).fit(x, y)
    assert weights["classes"] == list(reference.classes_)
    np.testing.assert_allclose(predict_proba(weights, x), reference.predict_proba(x), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("classes", [2, 3])
def test_temperature_calibration_folds_into_the_exported_weights(classes):
    from stores.labeling.learner import fold_temperature, logits, softmax, train_learner

    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 6))
    y = [f"c{i % classes}" for i in range(90)]
    x[:, 0] += [2 * (i % classes) for i in range(90)]
    model = train_learner(x, y, [f"r{i}" for i in range(90)])
    temperature = model["calibration"]["temperature"]
    assert model["c_source"] == "cross-validation" and model["cv"]["folds"] == 5
    assert set(model["cv"]["scores"]) == {"0.25", "1", "4", "16", "64"}
    assert 0.02 <= temperature <= 50 and len(model["oof"]) == 90
    raw = fold_temperature(model["weights"], 1 / temperature)  # undo the folding
    np.testing.assert_allclose(predict_proba(model["weights"], x), softmax(logits(raw, x) / temperature),
                               rtol=1e-6, atol=1e-9)
    # calibration rescales scores, so it never changes which label wins
    assert (predict_proba(model["weights"], x).argmax(1) == predict_proba(raw, x).argmax(1)).all()


def test_a_learner_with_too_few_labels_for_folds_still_trains():
    from stores.labeling.learner import train_learner

    model = train_learner(np.eye(3), ["a", "b", "c"], ["r1", "r2", "r3"])
    assert model["cv"]["folds"] == 0 and model["calibration"] == {"method": "none"} and model["oof"] == {}
    assert train_learner(np.eye(2), ["a", "a"], ["r1", "r2"]) is None


def test_cold_start_never_picks_near_duplicates_and_spreads_from_anchors():
    from stores.labeling.suggestions import NEAR_DUPLICATE, cold_start_order

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 16))
    # 6 tight clusters of 20 near-identical vectors each
    x = np.vstack([c + 0.01 * rng.normal(size=(20, 16)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    picked = cold_start_order(x, 6, seed=3)
    sims = x[picked] @ x[picked].T
    assert (sims[~np.eye(6, dtype=bool)] <= NEAR_DUPLICATE).all()
    assert sorted(i // 20 for i in picked) == [0, 1, 2, 3, 4, 5]  # one per cluster
    # with clusters 0-2 already labelled (anchors), a batch of 3 covers clusters 3-5
    picked = cold_start_order(x[60:], 3, anchors=x[[0, 20, 40]], seed=3)
    assert sorted(i // 20 for i in picked) == [0, 1, 2]
    assert cold_start_order(x, 6, seed=3) == cold_start_order(x, 6, seed=3)  # stable between calls


def test_uncertainty_order_takes_the_smallest_margins_and_skips_near_duplicates():
    from stores.labeling.suggestions import margins, uncertainty_order

    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.55, 0.45], [0.6, 0.4], [0.99, 0.01]])
    margin = margins(proba)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.001], [0.7, 0.7], [0.6, -0.8]])
    assert uncertainty_order(margin, np.eye(5), 3) == [0, 2, 3]
    # record 2 is a near-duplicate of record 0: passed over for the next least sure one
    assert uncertainty_order(margin, x, 3) == [0, 3, 1]
    # an anchor (a record the client already holds) counts as picked
    assert uncertainty_order(margin, x, 2, anchors=x[[3]]) == [0, 1]
