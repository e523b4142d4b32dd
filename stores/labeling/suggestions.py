"""Which record to label next: the label-next order and the labeling view's filters.

Owns the pure ranking over one task's records, given each record's manual label, its
heuristics' votes and its weak-supervision result. The order puts the records whose
manual label teaches the most first: unlabelled records where heuristics disagree, then
those weak supervision is least sure about (no weak label at all counts as least sure),
each group in the project's record order so the queue is stable between calls.
"""

from __future__ import annotations

from typing import Any

FILTERS = ("suggested", "unlabeled", "low_confidence", "disagreement", "all")
DEFAULT_MAX_CONFIDENCE = 0.8


def disagrees(votes: dict[str, dict[str, Any]]) -> bool:
    """True when the heuristics that voted on a record did not all vote the same label."""
    return len({vote["label"] for vote in votes.values()}) > 1


def matches_filter(item: dict[str, Any], name: str, max_confidence: float = DEFAULT_MAX_CONFIDENCE) -> bool:
    """Whether a record (as `record_item` shapes it) belongs in the named filter.

    suggested / unlabeled: no manual label yet; low_confidence: unlabelled, weakly
    labelled, weak confidence below `max_confidence`; disagreement: unlabelled and its
    heuristics disagree; all: every record."""
    if name == "all":
        return True
    if item["label"] is not None:
        return False
    if name in ("suggested", "unlabeled"):
        return True
    if name == "low_confidence":
        weak = item["weak"]
        return weak["prediction"] is not None and (weak["confidence"] or 0.0) < max_confidence
    if name == "disagreement":
        return disagrees(item["votes"])
    raise ValueError(f"unknown filter {name!r} (use one of {', '.join(FILTERS)})")


def priority(item: dict[str, Any]) -> tuple[int, int, float]:
    """Sort key, smallest first: unlabelled before labelled, disagreement first, then lowest weak confidence."""
    weak = item["weak"]
    confidence = weak["confidence"] if weak["prediction"] is not None else 0.0
    return (0 if item["label"] is None else 1, 0 if disagrees(item["votes"]) else 1, confidence or 0.0)


def reason(item: dict[str, Any]) -> str:
    """Why a record is suggested, in words the labeling view shows."""
    if disagrees(item["votes"]):
        return "heuristics disagree"
    weak = item["weak"]
    if weak["prediction"] is None:
        return "no heuristic labels it" if not item["votes"] else "weak supervision has no clear winner"
    return f"weak label {weak['prediction']!r} at {weak['confidence']:.2f} confidence"


def record_item(record: dict[str, Any], manual: dict[str, Any] | None, votes: dict[str, tuple[str, float]],
                weak: dict[str, Any]) -> dict[str, Any]:
    """One record as the labeling view shows it: data, manual label, votes, weak result."""
    return {
        "id": record["id"], "data": record,
        "label": manual["label"] if manual else None,
        "labeled_by": manual["labeled_by"] if manual else None,
        "votes": {h: {"label": v[0], "confidence": v[1]} for h, v in sorted(votes.items())},
        "weak": {"prediction": weak.get("prediction"), "confidence": weak.get("confidence")},
    }


def select(items: list[dict[str, Any]], name: str, limit: int, max_confidence: float = DEFAULT_MAX_CONFIDENCE,
           exclude: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The records of a filter in label-next order (a stable sort keeps record order within ties)."""
    chosen = [item for item in items if item["id"] not in exclude and matches_filter(item, name, max_confidence)]
    chosen.sort(key=priority)
    return [{**item, "reason": reason(item)} for item in chosen[:limit]]
