"""A task's trained model version: what training stores and what serving reads.

Training a task (service.train) produces one JSON document, stored as a numbered
version in labeling.duckdb (`models` table, repository.py):

    {"version": int, "trained_at": iso, "labels": [task labels], "embedding_model": str,
     "manual_labels": int, "trigger": "request" | "labels",
     "learners": {name: {"config": {...}, "weights": {classes, coef, intercept} (calibrated),
                         "c", "c_source", "cv", "calibration", "trained_on", "classes",
                         "oof": {record id: [label, probability]}} | {"config", "weights": null}},
     "heuristics": {name: {"kind", "fingerprint", "per_label": {label: {true_positives, false_positives}}}}}

Serving (statistics, weak supervision, suggestions, the enrichment bundle) only reads it:
learners vote with the stored weights (labelled records with their out-of-fold
prediction), and per-heuristic precision estimates come from the stored counts while a
rule heuristic (labeling function, lookup list) is unchanged since training — its
fingerprint covers its code, list, label and the list's terms; a changed or new one is
graded afresh against the manual labels, which needs no training.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import orjson

from .heuristics import ACTIVE_LEARNER, LOOKUP_LIST, Votes, predict_proba, votes_from_proba


def fingerprint(row: dict[str, Any], lookup_lists: dict[str, list[str]]) -> str:
    """Identifies what a rule heuristic votes: kind, config and (for a lookup list) its terms."""
    what: dict[str, Any] = {"kind": row["kind"], "config": row["config"]}
    if row["kind"] == LOOKUP_LIST:
        what["terms"] = sorted(lookup_lists.get(row["config"]["list"], []))
    return hashlib.blake2b(orjson.dumps(what, option=orjson.OPT_SORT_KEYS), digest_size=12).hexdigest()


def empty_counts(labels: tuple[str, ...] | list[str]) -> dict[str, dict[str, int]]:
    return {label: {"true_positives": 0, "false_positives": 0} for label in labels}


def counts_from_votes(votes: Votes, manual: dict[str, str], labels: tuple[str, ...] | list[str]
                      ) -> dict[str, dict[str, int]]:
    """Per-label true/false positives of one heuristic's votes against manual labels."""
    counts = empty_counts(labels)
    for record_id, (label, _) in votes.items():
        truth = manual.get(record_id)
        if truth is None:
            continue
        entry = counts.setdefault(label, {"true_positives": 0, "false_positives": 0})
        entry["true_positives" if truth == label else "false_positives"] += 1
    return counts


def oof_votes(entry: dict[str, Any] | None, min_confidence: float) -> Votes:
    """A learner's out-of-fold votes on the records it was trained on."""
    if not entry:
        return {}
    return {rid: (label, float(p)) for rid, (label, p) in entry.get("oof", {}).items() if p >= min_confidence}


def learner_votes(entry: dict[str, Any] | None, records: list[dict], embeddings: np.ndarray | None,
                  min_confidence: float) -> Votes:
    """A stored learner's votes on `records`: the calibrated model's, except that a record it
    was trained on gets its out-of-fold vote (so grading it is not inflated)."""
    if not entry or entry.get("weights") is None or not records or embeddings is None:
        return {}
    ids = [r["id"] for r in records]
    votes = votes_from_proba(entry["weights"]["classes"], predict_proba(entry["weights"], embeddings), ids,
                             min_confidence)
    oof = entry.get("oof") or {}
    for record_id in ids:
        if record_id in oof:
            label, p = oof[record_id]
            if p >= min_confidence:
                votes[record_id] = (label, float(p))
            else:
                votes.pop(record_id, None)
    return votes


def learner_entry(model: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The stored learner `name` of a model version, if that version trained it."""
    if not model:
        return None
    return (model.get("learners") or {}).get(name)


def stored_counts(model: dict[str, Any] | None, row: dict[str, Any], lookup_lists: dict[str, list[str]]
                  ) -> dict[str, dict[str, int]] | None:
    """The stored precision counts of a rule heuristic, if it is unchanged since training."""
    if not model or row["kind"] == ACTIVE_LEARNER:
        return None
    stored = (model.get("heuristics") or {}).get(row["name"])
    if stored is None or stored.get("fingerprint") != fingerprint(row, lookup_lists):
        return None
    return stored["per_label"]


def mean_proba(entries: list[dict[str, Any]], labels: tuple[str, ...] | list[str], embeddings: np.ndarray
               ) -> np.ndarray:
    """The average probability over labels of several trained learners (columns in `labels` order)."""
    out = np.zeros((len(embeddings), len(labels)))
    column = {label: i for i, label in enumerate(labels)}
    for entry in entries:
        weights = entry["weights"]
        proba = predict_proba(weights, embeddings)
        for j, label in enumerate(weights["classes"]):
            if label in column:
                out[:, column[label]] += proba[:, j]
    return out / max(len(entries), 1)
