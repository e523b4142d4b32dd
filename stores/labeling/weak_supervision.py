"""Turning the heuristics' votes on a record into one label and a confidence.

Owns refinery's rule (Kern AI): a vote weighs precision × confidence, where precision is
the heuristic's TP/(TP+FP) for that label against manual labels (a default when it has
none) and confidence is 1.0 for labeling functions and lookup lists, the predicted
probability for active learners. Weights are summed per label; the winner is the label
with the largest sum; margin = winner's sum − the sum of all other labels; when the
margin is positive the record gets the winner with confidence 1/(1 + e^(−c·margin + k)),
otherwise no label. Also a plain majority vote as the baseline the benchmark compares
against (a Snorkel label model was not worth its dependency: see README).
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
    default_precision: float = 0.8  # for a heuristic/label pair no manual label has graded

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def precision_table(statistics: dict[str, dict[str, Any]]) -> PrecisionTable:
    """{heuristic: {label: precision or None}} from `heuristic_statistics` output."""
    return {h: {label: s["precision"] for label, s in stats["per_label"].items()}
            for h, stats in statistics.items()}


def refinery_vote(votes: RecordVotes, precision: PrecisionTable,
                  settings: WeakSupervisionSettings = WeakSupervisionSettings()) -> tuple[str | None, float | None]:
    """(label, confidence) by refinery's rule, or (None, None) when the margin is not positive."""
    sums: dict[str, float] = {}
    for heuristic, (label, confidence) in votes.items():
        p = precision.get(heuristic, {}).get(label)
        weight = (settings.default_precision if p is None else p) * confidence
        sums[label] = sums.get(label, 0.0) + weight
    if not sums:
        return None, None
    winner = max(sums, key=sums.__getitem__)
    margin = sums[winner] - (sum(sums.values()) - sums[winner])
    if margin <= 0:
        return None, None
    return winner, 1.0 / (1.0 + math.exp(-settings.c * margin + settings.k))


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
