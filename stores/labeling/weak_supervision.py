"""Turning the heuristics' votes on a record into one label and a confidence.

Owns refinery's rule (Kern AI): a vote weighs precision × confidence, where confidence
is 1.0 for labeling functions and lookup lists, the calibrated probability for active
learners, and precision is the heuristic's estimated precision for that label: its
TP/(TP+FP) against manual labels blended with a prior (a Beta prior with mean
`default_precision` worth `prior_strength` labels: (TP + s·d) / (TP + FP + s)), so a
heuristic graded on few labels keeps a sensible weight instead of 0 or 1. Weights are
summed per label; the winner is the label with the largest sum (ties: the task's label
order); margin = winner's sum − the sum of all other labels; confidence =
1/(1 + e^(−c·margin + k)). Every record with at least one vote gets the winner and that
confidence; only a task's `min_confidence` (default 0) turns a low one into no label,
and the confidence is reported either way. Also a plain majority vote as the baseline
the benchmark compares against (a Snorkel label model was not worth its dependency: see
README).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .heuristics import Votes

RecordVotes = dict[str, tuple[str, float]]  # heuristic -> (label, confidence) on one record
PrecisionTable = dict[str, dict[str, float | None]]  # heuristic -> label -> precision


@dataclass(frozen=True)
class WeakSupervisionSettings:
    c: float = 7.0
    k: float = 3.0
    default_precision: float = 0.8  # the prior precision of a heuristic/label pair
    prior_strength: float = 2.0  # how many manual labels the prior is worth

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def estimated_precision(true_positives: int, false_positives: int,
                        settings: WeakSupervisionSettings = WeakSupervisionSettings()) -> float:
    """The posterior mean precision under a Beta prior of mean `default_precision` worth
    `prior_strength` observations: the default with no graded vote, the measured
    precision once many votes are graded."""
    s = max(settings.prior_strength, 0.0)
    graded = true_positives + false_positives
    if graded + s <= 0:
        return settings.default_precision
    return (true_positives + s * settings.default_precision) / (graded + s)


def precision_table(statistics: dict[str, dict[str, Any]],
                    settings: WeakSupervisionSettings = WeakSupervisionSettings()) -> PrecisionTable:
    """{heuristic: {label: estimated precision}} from `heuristic_statistics` output (the
    per-label true/false positives), blended with the prior (see `estimated_precision`)."""
    return {h: {label: estimated_precision(s["true_positives"], s["false_positives"], settings)
                for label, s in stats["per_label"].items()}
            for h, stats in statistics.items()}


def refinery_vote(votes: RecordVotes, precision: PrecisionTable,
                  settings: WeakSupervisionSettings = WeakSupervisionSettings(),
                  labels: tuple[str, ...] | list[str] = (),
                  min_confidence: float = 0.0) -> tuple[str | None, float | None]:
    """(label, confidence) by refinery's rule: a label whenever a heuristic voted and the
    confidence reaches `min_confidence`; (None, confidence) below it; (None, 0.0) with no votes."""
    sums: dict[str, float] = {}
    for heuristic, (label, confidence) in votes.items():
        p = precision.get(heuristic, {}).get(label)
        weight = (settings.default_precision if p is None else p) * confidence
        sums[label] = sums.get(label, 0.0) + weight
    if not sums:
        return None, 0.0
    order = {label: i for i, label in enumerate(labels)}
    winner = min(sums, key=lambda label: (-sums[label], order.get(label, len(order)), label))
    margin = sums[winner] - (sum(sums.values()) - sums[winner])
    # Capped: e^710 overflows, and settings stored before the API bounded them (c=1e308)
    # must still give a confidence (~0) rather than fail every suggestion.
    confidence = 1.0 / (1.0 + math.exp(min(-settings.c * margin + settings.k, 700.0)))
    if confidence < min_confidence:
        return None, confidence
    return winner, confidence


def majority_vote(votes: RecordVotes) -> tuple[str | None, float | None]:
    """The label most heuristics voted for (no label on a tie), with its share of the votes."""
    counts: dict[str, int] = {}
    for label, _ in votes.values():
        counts[label] = counts.get(label, 0) + 1
    if not counts:
        return None, None
    ranked = sorted(counts.values(), reverse=True)
    if len(ranked) > 1 and ranked[0] == ranked[1]:
        return None, None
    winner = max(counts, key=counts.__getitem__)
    return winner, counts[winner] / len(votes)


def votes_by_record(votes: dict[str, Votes]) -> dict[str, RecordVotes]:
    """Transpose {heuristic: {record: vote}} into {record: {heuristic: vote}}."""
    out: dict[str, RecordVotes] = {}
    for heuristic, heuristic_votes in votes.items():
        for record_id, vote in heuristic_votes.items():
            out.setdefault(record_id, {})[heuristic] = vote
    return out
