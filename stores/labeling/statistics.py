"""How each heuristic of a task does against the others and against manual labels.

Per heuristic: coverage (records it labels), overlaps (of those, records another
heuristic also labels), conflicts (records another heuristic labels differently),
true/false positives and precision against manual labels, overall and per label. The
per-label precision is what weak supervision weighs votes with.
"""

from __future__ import annotations

from typing import Any

from .heuristics import Votes


def _precision(tp: int, fp: int) -> float | None:
    return tp / (tp + fp) if tp + fp else None


def heuristic_statistics(votes: dict[str, Votes], manual: dict[str, str], total_records: int,
                         labels: list[str] | tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """Statistics of every heuristic in `votes` ({heuristic: {record_id: (label, conf)}})."""
    by_record: dict[str, dict[str, str]] = {}
    for heuristic, heuristic_votes in votes.items():
        for record_id, (label, _) in heuristic_votes.items():
            by_record.setdefault(record_id, {})[heuristic] = label
    result: dict[str, dict[str, Any]] = {}
    for heuristic, heuristic_votes in votes.items():
        overlaps = conflicts = tp = fp = 0
        per_label: dict[Any, dict[str, Any]] = {label: {"coverage": 0, "true_positives": 0, "false_positives": 0}
                                               for label in labels}
        for record_id, (label, _) in heuristic_votes.items():
            others = [other for h, other in by_record[record_id].items() if h != heuristic]
            overlaps += bool(others)
            conflicts += any(other != label for other in others)
            stats = per_label.setdefault(label, {"coverage": 0, "true_positives": 0, "false_positives": 0})
            stats["coverage"] += 1
            truth = manual.get(record_id)
            if truth is not None:
                hit = truth == label
                tp, fp = tp + hit, fp + (not hit)
                stats["true_positives" if hit else "false_positives"] += 1
        for stats in per_label.values():
            stats["precision"] = _precision(stats["true_positives"], stats["false_positives"])
        coverage = len(heuristic_votes)
        result[heuristic] = {
            "coverage": coverage,
            "coverage_share": coverage / total_records if total_records else 0.0,
            "overlaps": overlaps,
            "conflicts": conflicts,
            "true_positives": tp,
            "false_positives": fp,
            "precision": _precision(tp, fp),
            "per_label": per_label,
        }
    return result
