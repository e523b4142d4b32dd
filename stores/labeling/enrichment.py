"""Applying a labeling project to records anywhere, from a JSON "bundle".

Owns the bundle format and `ProjectEnricher`. A bundle is everything a flow-run process
needs to label records without the project's database: per task the label set, the text
fields, the minimum confidence, each heuristic (labeling-function code, lookup terms and
label, active-learner weights — calibrated, from the task's latest trained model version
— and minimum confidence), the per-heuristic, per-label precision estimates, the model
version, and the weak-supervision constants. The service builds it
(`LabelingService.enrichment_bundle`, which never trains); the `labeling.enrich` node
fetches it through its store client and enriches records here, computing embeddings on
the fly, so records that never reached the project are enriched too. Enrichment itself
never trains or cross-validates: it multiplies vectors by the stored weights.

Vectors come from one `Embed` callable the enricher is given — `(model, texts, progress)
-> float32 array (len(texts), dim)` — by default `local_embeddings` (the model loaded in
this process, once); an embedding service plugs in here.

Bundle shape (JSON):
    {"project": str, "embedding_model": str,
     "weak_supervision": {"c": float, "k": float, "default_precision": float, ...},
     "tasks": [{"name": str, "labels": [str], "text_fields": [str], "min_confidence": float,
                "model_version": int | null, "model_trained_at": str | null,
                "precision": {heuristic: {label: float}},
                "heuristics": [
                    {"name", "kind": "labeling_function", "code": str} |
                    {"name", "kind": "lookup_list", "list": str, "label": str, "terms": [str]} |
                    {"name", "kind": "active_learner", "min_confidence": float, "model_version": int | null,
                     "weights": {"classes": [str], "coef": [[float]], "intercept": [float]} | null}]}]}

Each enriched record gets `record["prediction"]["results"][task] = {"prediction",
"confidence", "votes", "model_version"}`: prediction None only where no heuristic voted or
the confidence is below the task's minimum; the confidence is there either way. A record
whose text fields are missing or empty gets no active-learner vote (the vector of "" would
give every such record the same confident label) and `"no_text": true`.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np

from .embeddings import ProgressCallback, get_embedder
from .errors import HeuristicError
from .heuristics import (ACTIVE_LEARNER, DEFAULT_MIN_CONFIDENCE, LABELING_FUNCTION, LOOKUP_LIST, ActiveLearner,
                         LabelingFunction, LookupHeuristic, Votes)
from .tasks import TaskSpec
from .weak_supervision import WeakSupervisionSettings, refinery_vote, votes_by_record

Heuristic = LabelingFunction | LookupHeuristic | ActiveLearner


class Embed(Protocol):
    """Where enrichment gets its vectors: one call per batch of texts."""

    def __call__(self, model: str, texts: list[str], progress: ProgressCallback | None = None) -> np.ndarray: ...


def local_embeddings(model: str, texts: list[str], progress: ProgressCallback | None = None) -> np.ndarray:
    """Vectors from the model loaded in this process (`get_embedder`: once per process)."""
    return get_embedder(model).encode(texts, progress)


def embeddings_from_factory(factory: Callable[[str], Any]) -> Embed:
    """An `Embed` over an embedder factory (`model -> object with encode(texts, progress)`)."""
    def embed(model: str, texts: list[str], progress: ProgressCallback | None = None) -> np.ndarray:
        return factory(model).encode(texts, progress)

    return embed


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

    def __init__(self, bundle: dict[str, Any], embed: Embed | None = None,
                 embedder_factory: Callable[[str], Any] | None = None):
        """`embed`: where vectors come from (default `local_embeddings`); `embedder_factory`
        (older form): a `model -> embedder` factory used the same way."""
        self.bundle = bundle
        self.project = bundle["project"]
        self.settings = WeakSupervisionSettings(**bundle.get("weak_supervision", {}))
        self.tasks = []
        for task in bundle["tasks"]:
            spec = TaskSpec.from_dict(task)
            heuristics = [heuristic_from_item(self.project, spec, item) for item in task["heuristics"]]
            self.tasks.append((spec, heuristics, task.get("precision", {})))
        self.model_versions = {task["name"]: task.get("model_version") for task in bundle["tasks"]}
        if embed is None:
            embed = embeddings_from_factory(embedder_factory) if embedder_factory is not None else local_embeddings
        self._embed: Embed = embed

    @property
    def needs_embeddings(self) -> bool:
        return any(h.needs_embeddings and getattr(h, "weights", None) for _, hs, _ in self.tasks for h in hs)

    def _embeddings(self, spec: TaskSpec, records: list[dict], cache: dict[str, np.ndarray],
                    progress: ProgressCallback | None) -> np.ndarray:
        # Tasks reading the same fields share one forward pass.
        if spec.fields_key not in cache:
            cache[spec.fields_key] = self._embed(self.bundle["embedding_model"], [spec.text_of(r) for r in records],
                                                 progress)
        return cache[spec.fields_key]

    def embedded_chars(self, record: dict, cap: int = 1000) -> int:
        """Characters of `record`'s text that would be embedded (each text field set once,
        each text counted up to `cap`: the model truncates long texts anyway). A proxy for
        the compute a record costs, so a caller can keep a batch small in work, not count."""
        seen: dict[str, int] = {}
        for spec, heuristics, _ in self.tasks:
            if spec.fields_key not in seen and any(h.needs_embeddings and getattr(h, "weights", None)
                                                   for h in heuristics):
                seen[spec.fields_key] = min(len(spec.text_of(record)), cap)
        return sum(seen.values())

    def embeddings_for(self, records: list[dict], progress: ProgressCallback | None = None) -> dict[str, np.ndarray]:
        """The vectors `predict` needs for `records`, by text fields: computed ahead (e.g. for
        the next batch while this one is labelled) and passed back as `embeddings=`."""
        cache: dict[str, np.ndarray] = {}
        for spec, heuristics, _ in self.tasks:
            if any(h.needs_embeddings and getattr(h, "weights", None) for h in heuristics):
                self._embeddings(spec, records, cache, progress)
        return cache

    def task_votes(self, records: list[dict], progress: ProgressCallback | None = None,
                   embedding_cache: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, Votes]]:
        """{task: {heuristic: votes}} over `records` (each with a string "id")."""
        cache = {} if embedding_cache is None else embedding_cache
        out: dict[str, dict[str, Votes]] = {}
        for spec, heuristics, _ in self.tasks:
            votes: dict[str, Votes] = {}
            textless: set[str] | None = None
            for heuristic in heuristics:
                embeddings = None
                if heuristic.needs_embeddings and getattr(heuristic, "weights", None):
                    embeddings = self._embeddings(spec, records, cache, progress)
                found = heuristic.votes(records, embeddings)
                if embeddings is not None:
                    # The vector of an empty text says nothing about the record, yet the
                    # learner would give it the same confident label every time.
                    if textless is None:
                        textless = {r["id"] for r in records if not spec.text_of(r).strip()}
                    if textless:
                        found = {rid: vote for rid, vote in found.items() if rid not in textless}
                votes[heuristic.name] = found
            out[spec.name] = votes
        return out

    def predict(self, records: list[dict], progress: ProgressCallback | None = None,
                embeddings: dict[str, np.ndarray] | None = None) -> dict[str, dict[str, Any]]:
        """{record_id: {task: {"prediction", "confidence", "votes", "model_version"}}} for every record
        (plus `"no_text": True` where the task's text fields are missing or empty on it).
        `embeddings`: what `embeddings_for(records)` returned, if computed ahead."""
        all_votes = self.task_votes(records, progress, embedding_cache=dict(embeddings) if embeddings else None)
        results: dict[str, dict[str, Any]] = {r["id"]: {} for r in records}
        for spec, _, precision in self.tasks:
            by_record = votes_by_record(all_votes[spec.name])
            for record in records:
                record_id = record["id"]
                record_votes = by_record.get(record_id, {})
                label, confidence = refinery_vote(record_votes, precision, self.settings, spec.labels,
                                                  spec.min_confidence)
                result = results[record_id][spec.name] = {
                    "prediction": label,
                    "confidence": confidence,
                    "votes": {h: vote[0] for h, vote in record_votes.items()},
                    "model_version": self.model_versions.get(spec.name),
                }
                if not spec.text_of(record).strip():
                    result["no_text"] = True
        return results

    def text_coverage(self, records: list[dict]) -> dict[str, dict[str, Any]]:
        """Per task: how many records lack each text field ("missing": absent or null;
        "empty": blank) and how many have no text at all ("no_text")."""
        out: dict[str, dict[str, Any]] = {}
        for spec, _, _ in self.tasks:
            fields = {f: {"missing": 0, "empty": 0} for f in spec.text_fields}
            no_text = 0
            for record in records:
                for field in spec.text_fields:
                    value = spec.field_value(record, field)
                    if value is None:
                        fields[field]["missing"] += 1
                    elif not str(value).strip():
                        fields[field]["empty"] += 1
                if not spec.text_of(record).strip():
                    no_text += 1
            out[spec.name] = {"fields": fields, "no_text": no_text}
        return out

    def enrich(self, records: list[dict], progress: ProgressCallback | None = None,
               embeddings: dict[str, np.ndarray] | None = None) -> list[dict]:
        """Set `record["prediction"]["results"][task]` on each record (in place) and return them."""
        predictions = self.predict(records, progress, embeddings)
        for record in records:
            prediction = record.get("prediction")
            if not isinstance(prediction, dict):
                prediction = record["prediction"] = {}
            results = prediction.get("results")
            if not isinstance(results, dict):
                results = prediction["results"] = {}
            results.update(predictions[record["id"]])
        return records
