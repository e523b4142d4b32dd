"""Weak-supervision arithmetic, lookup matching, labeling-function compilation and the
exported active-learner weights, without any database or model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stores.labeling.errors import HeuristicError
from stores.labeling.heuristics import LabelingFunction, lookup_pattern, predict_proba, train_logistic_regression
from stores.labeling.tasks import TaskSpec
from stores.labeling.weak_supervision import WeakSupervisionSettings, majority_vote, refinery_vote

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


def test_refinery_rule_gives_no_label_without_a_positive_margin():
    votes = {"a": (POS, 1.0), "b": (NEG, 1.0)}
    assert refinery_vote(votes, {"a": {POS: 0.7}, "b": {NEG: 0.7}}) == (None, None)
    # three-way: 0.6 for positive against 0.4 + 0.3 for the others: margin −0.1
    votes3 = {"a": (POS, 1.0), "b": (NEG, 1.0), "c": (NEU, 1.0)}
    assert refinery_vote(votes3, {"a": {POS: 0.6}, "b": {NEG: 0.4}, "c": {NEU: 0.3}}) == (None, None)
    assert refinery_vote({}, {}) == (None, None)


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
