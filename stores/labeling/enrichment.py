"""Applying a labeling project to records anywhere, from a JSON "bundle".

Owns the bundle format and `ProjectEnricher`. A bundle is everything a flow-run process
needs to label records without the project's database: per task the label set, the text
fields, each heuristic (labeling-function code, lookup terms and label, active-learner
weights and minimum confidence), the per-heuristic, per-label precision against manual
labels, and the weak-supervision constants. The service builds it
(`LabelingService.enrichment_bundle`); the `labeling.enrich` node fetches it through
its store client and enriches records here, computing embeddings on the fly, so records
that never reached the project are enriched too.

Bundle shape (JSON):
    {"project": str, "embedding_model": str,
     "weak_supervision": {"c": float, "k": float, "default_precision": float},
     "tasks": [{"name": str, "labels": [str], "text_fields": [str],
                "precision": {heuristic: {label: float | null}},
                "heuristics": [
                    {"name", "kind": "labeling_function", "code": str} |
                    {"name", "kind": "lookup_list", "list": str, "label": str, "terms": [str]} |
                    {"name", "kind": "active_learner", "min_confidence": float,
                     "weights": {"classes": [str], "coef": [[float]], "intercept": [float]} | null}]}]}
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .embeddings import ProgressCallback, get_embedder
from .errors import HeuristicError
from .heuristics import (ACTIVE_LEARNER, DEFAULT_MIN_CONFIDENCE, LABELING_FUNCTION, LOOKUP_LIST, ActiveLearner,
                         LabelingFunction, LookupHeuristic, Votes)
from .tasks import TaskSpec
from .weak_supervision import WeakSupervisionSettings, refinery_vote, votes_by_record

Heuristic = LabelingFunction | LookupHeuristic | ActiveLearner


def heuristic_from_item(project: str, task: TaskSpec, item: dict[str, Any]) -> Heuristic:
    """A heuristic object from its bundle entry."""
    kind, name = item["kind"], item["name"]
    if kind == LABELING_FUNCTION:
        return LabelingFunction(name, task, item["code"], project)
    if kind == LOOKUP_LIST:
        return LookupHeuristic(name, task, item["list"], list(item["terms"]), item["label"])
    if kind == ACTIVE_LEARNER:
        return ActiveLearner(name, task, item.get("weights"), float(item.get("min_confidence", DEFAULT_MIN_CONFIDENCE)))
    raise HeuristicError(f"unknown heuristic kind {kind!r}", project=project, task=task.name, heuristic=name)


class ProjectEnricher:
    """Labels records with a project's heuristics and refinery's weak supervision."""

    def __init__(self, bundle: dict[str, Any], embedder_factory: Callable[[str], Any] = get_embedder):
        self.bundle = bundle
        self.project = bundle["project"]
        self.settings = WeakSupervisionSettings(**bundle.get("weak_supervision", {}))
        self.tasks = []
        for task in bundle["tasks"]:
            spec = TaskSpec.from_dict(task)
            heuristics = [heuristic_from_item(self.project, spec, item) for item in task["heuristics"]]
            self.tasks.append((spec, heuristics, task.get("precision", {})))
        self._embedder_factory = embedder_factory

    @property
    def needs_embeddings(self) -> bool:
        return any(h.needs_embeddings and getattr(h, "weights", None) for _, hs, _ in self.tasks for h in hs)

    def _embeddings(self, spec: TaskSpec, records: list[dict], cache: dict[str, np.ndarray],
                    progress: ProgressCallback | None) -> np.ndarray:
        # Tasks reading the same fields share one forward pass.
        if spec.fields_key not in cache:
            embedder = self._embedder_factory(self.bundle["embedding_model"])
            cache[spec.fields_key] = embedder.encode([spec.text_of(r) for r in records], progress)
        return cache[spec.fields_key]

    def task_votes(self, records: list[dict], progress: ProgressCallback | None = None,
                   embedding_cache: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, Votes]]:
        """{task: {heuristic: votes}} over `records` (each with a string "id")."""
        cache = {} if embedding_cache is None else embedding_cache
        out: dict[str, dict[str, Votes]] = {}
        for spec, heuristics, _ in self.tasks:
            votes: dict[str, Votes] = {}
            for heuristic in heuristics:
                embeddings = None
                if heuristic.needs_embeddings and getattr(heuristic, "weights", None):
                    embeddings = self._embeddings(spec, records, cache, progress)
                votes[heuristic.name] = heuristic.votes(records, embeddings)
            out[spec.name] = votes
        return out

    def predict(self, records: list[dict], progress: ProgressCallback | None = None) -> dict[str, dict[str, Any]]:
        """{record_id: {task: {"prediction", "confidence", "votes"}}} for every record."""
        all_votes = self.task_votes(records, progress)
        results: dict[str, dict[str, Any]] = {r["id"]: {} for r in records}
        for spec, _, precision in self.tasks:
            by_record = votes_by_record(all_votes[spec.name])
            for record_id in results:
                record_votes = by_record.get(record_id, {})
                label, confidence = refinery_vote(record_votes, precision, self.settings)
                results[record_id][spec.name] = {
                    "prediction": label,
                    "confidence": confidence,
                    "votes": {h: vote[0] for h, vote in record_votes.items()},
                }
        return results

    def enrich(self, records: list[dict], progress: ProgressCallback | None = None) -> list[dict]:
        """Set `record["prediction"]["results"][task]` on each record (in place) and return them."""
        predictions = self.predict(records, progress)
        for record in records:
            prediction = record.get("prediction")
            if not isinstance(prediction, dict):
                prediction = record["prediction"] = {}
            results = prediction.get("results")
            if not isinstance(results, dict):
                results = prediction["results"] = {}
            results.update(predictions[record["id"]])
        return records
