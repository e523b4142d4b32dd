"""The three kinds of heuristic and the votes they cast on records.

Owns: labeling functions (user code `def lf(record) -> label | None`), lookup-list
heuristics (a label for records whose text contains one of a list's terms as a whole
word, case-insensitively) and active learners (logistic regression on embeddings,
trained on manual labels by learner.py, with calibrated probabilities; by default they
vote on every record, a `min_confidence` above 0 makes them abstain below it). A
heuristic's votes are `{record_id: (label, confidence)}`; confidence is 1.0 except for
active learners. Active-learner weights are plain lists, so a trained learner travels as
JSON to the flow-run process and predicts there without scikit-learn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from .errors import HeuristicError
from .lf_code import CompiledLabelingFunction, compile_labeling_function
from .tasks import TaskSpec

Votes = dict[str, tuple[str, float]]

LABELING_FUNCTION = "labeling_function"
LOOKUP_LIST = "lookup_list"
ACTIVE_LEARNER = "active_learner"
KINDS = (LABELING_FUNCTION, LOOKUP_LIST, ACTIVE_LEARNER)
# An active learner votes on every record with its calibrated probability; weak
# supervision weighs the vote, and a task's own minimum confidence decides "no label".
DEFAULT_MIN_CONFIDENCE = 0.0
# A fixed inverse regularisation for callers that ask for one (bench/embeddings.py's
# --learner-c). A learner saved without "c" gets its C by cross-validation (learner.C_GRID).
DEFAULT_LEARNER_C = 100.0


@dataclass
class LabelingFunction:
    name: str
    task: TaskSpec
    code: str
    project: str
    kind: str = LABELING_FUNCTION
    needs_embeddings: bool = False
    _compiled: CompiledLabelingFunction | None = field(default=None, repr=False)

    def compiled(self) -> CompiledLabelingFunction:
        if self._compiled is None:
            self._compiled = compile_labeling_function(self.code, project=self.project,
                                                       task=self.task.name, heuristic=self.name)
        return self._compiled

    def votes(self, records: list[dict], embeddings: np.ndarray | None = None) -> Votes:
        fn = self.compiled()
        func, labels = fn.func, set(self.task.labels)
        out: Votes = {}
        record: dict = {}
        try:
            for record in records:
                label = func(record)
                if label is None:
                    continue
                if label not in labels:
                    raise HeuristicError(
                        f"returned {label!r}, which is not a label of the task ({', '.join(self.task.labels)}); "
                        f"return one of them or None", project=self.project, task=self.task.name,
                        heuristic=self.name, record_id=record.get("id"))
                out[record["id"]] = (label, 1.0)
        except HeuristicError:
            raise
        except Exception as exc:
            raise fn.error_from(exc, record.get("id")) from exc
        return out


def lookup_pattern(terms: Iterable[str]) -> re.Pattern | None:
    """A case-insensitive whole-word pattern for `terms` (None when there are none).

    `(?<!\\w)`/`(?!\\w)` instead of `\\b`, so terms that start or end with a non-word
    character ("s&p", "+5%") still match as whole terms; longer terms are tried first.
    """
    cleaned = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in cleaned) + r")(?!\w)", re.IGNORECASE)


@dataclass
class LookupHeuristic:
    name: str
    task: TaskSpec
    list_name: str
    terms: list[str]
    label: str
    kind: str = LOOKUP_LIST
    needs_embeddings: bool = False

    def votes(self, records: list[dict], embeddings: np.ndarray | None = None) -> Votes:
        pattern = lookup_pattern(self.terms)
        if pattern is None:
            return {}
        text_of, label = self.task.text_of, self.label
        return {r["id"]: (label, 1.0) for r in records if pattern.search(text_of(r))}


def train_logistic_regression(x: np.ndarray, y: list[str], c: float = DEFAULT_LEARNER_C) -> dict[str, Any]:
    """Fit scikit-learn's LogisticRegression (counted, see learner.py); return its weights as JSON-able lists."""
    from .learner import export_weights, fit_logistic_regression

    return export_weights(fit_logistic_regression(x, y, c))


def predict_proba(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Class probabilities from exported weights, exactly as LogisticRegression computes
    them: a sigmoid for two classes, a softmax over the classes otherwise."""
    coef = np.asarray(weights["coef"], dtype=np.float64)
    intercept = np.asarray(weights["intercept"], dtype=np.float64)
    scores = x.astype(np.float64) @ coef.T + intercept
    if coef.shape[0] == 1:  # binary: one score for the second class
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class ActiveLearner:
    name: str
    task: TaskSpec
    weights: dict[str, Any] | None  # None: not trained (fewer than two labels with examples)
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    kind: str = ACTIVE_LEARNER
    needs_embeddings: bool = True

    def votes(self, records: list[dict], embeddings: np.ndarray | None = None) -> Votes:
        if self.weights is None or not records:
            return {}
        if embeddings is None or len(embeddings) != len(records):
            raise HeuristicError("needs one embedding per record", task=self.task.name, heuristic=self.name)
        return votes_from_proba(self.weights["classes"], predict_proba(self.weights, embeddings),
                                [r["id"] for r in records], self.min_confidence)


def votes_from_proba(classes: list[str], proba: np.ndarray, ids: list[str], min_confidence: float) -> Votes:
    """A vote (most probable class, its probability) wherever that probability ≥ min_confidence."""
    best = proba.argmax(axis=1)
    out: Votes = {}
    for row, record_id in enumerate(ids):
        p = float(proba[row, best[row]])
        if p >= min_confidence:
            out[record_id] = (classes[best[row]], p)
    return out
