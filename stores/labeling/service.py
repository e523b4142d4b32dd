"""`LabelingService`: the labeling projects' public Python API.

Owns projects (bound to a shared store, synced from it by the store's incremental
`seq` on every read), tasks and label sets, manual labels (with who and when), lookup
lists, heuristics, cached embeddings, statistics, weak supervision, what to label next
(active learning, suggestions.py), training (a versioned model per task, stored in the
database: model_versions.py; on demand and in the background when enough new labels
arrived) and the enrichment bundle the `labeling.enrich` node uses, which carries the
latest trained version and never trains. Arguments and results are plain JSON-able
values so the REST layer only translates; errors are `LabelingError`s naming project,
task, heuristic and record, each the member of the error family it is (not found,
conflict, invalid).

It lives in the process that owns the store files (the API server, or `wirework run`
with no server). Labeling functions are user code, so they run in a child process with
a timeout (lf_runner.py), never here; active learners may load the embedding model
(once per process, lazily) here.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .embeddings import DEFAULT_MODEL, ProgressCallback, get_embedder
from .enrichment import heuristic_from_item
from .errors import (AlreadyExists, HeuristicError, LabelingInvalid, NotFound, StoreUnavailable, UnknownLabel,
                     check_name)
from .field_checks import field_report, gaps_worth_logging
from .heuristics import ACTIVE_LEARNER, DEFAULT_MIN_CONFIDENCE, KINDS, LABELING_FUNCTION, LOOKUP_LIST, Votes
from .learner import train_learner
from .lf_code import check_labeling_function
from .lf_runner import DEFAULT_TIMEOUT_S, no_wrapping, run_labeling_functions
from .model_versions import (counts_from_votes, fingerprint, learner_entry, learner_votes, mean_proba, oof_votes,
                             stored_counts)
from .repository import LabelingRepository, utcnow
from .statistics import heuristic_statistics
from .suggestions import (DEFAULT_MAX_CONFIDENCE, DEFAULT_STRATEGY, FILTERS, STRATEGIES, active_order,
                          cold_start_order, margins, matches_filter, priority, random_order, reason, record_item,
                          stable_seed)
from .tasks import TaskSpec, text_hash
from .training_jobs import JobProgress, TrainingJobs
from .weak_supervision import (PrecisionTable, WeakSupervisionSettings, majority_vote, precision_table,
                               refinery_vote, votes_by_record)

SYNC_PAGE = 5000
PREVIEW_MAX_SAMPLE = 500
PREVIEW_TIMEOUT_S = 30.0
# Retrain a task's model in the background once this many manual labels were set or
# changed since its latest version (a task setting; 0 turns it off).
DEFAULT_RETRAIN_AFTER = 10
log = logging.getLogger("wirework.labeling")


class LabelingService:
    """Labeling projects stored in one DuckDB file, synced from shared stores through a StoreClient."""

    def __init__(self, db_path: str | Path, store_client: Any = None, embedder_factory=get_embedder,
                 isolate_user_code: bool = True, user_code_timeout_s: float = DEFAULT_TIMEOUT_S,
                 wrap_command: Callable[[list[str]], list[str]] = no_wrapping):
        """`isolate_user_code`: run labeling functions in a child process with a timeout
        (the default; the API process never runs user code). False runs them here, for a
        process that is itself a sandbox (a flow run, a benchmark). `wrap_command` turns the
        child's command into the one to start (the engine's sandbox; default: unchanged)."""
        self.repo = LabelingRepository(db_path)
        self.store_client = store_client
        self._embedder_factory = embedder_factory
        self.isolate_user_code = isolate_user_code
        self.user_code_timeout_s = user_code_timeout_s
        self.wrap_command = wrap_command
        # One sync at a time: two threads paging the same store would race on synced_seq.
        self._sync_lock = threading.Lock()
        self.training_jobs = TrainingJobs()
        # One training per task at a time (an on-demand job may meet a background one).
        self._training_locks: dict[tuple[str, str], threading.Lock] = {}
        self._training_locks_lock = threading.Lock()
        self._closed = False
        # project → (what the counts depend on, field reports): workflow validation asks on
        # every edit, and a scan of 100k records costs ~0.25 s; records change only by a sync,
        # which moves synced_seq.
        self._field_reports: dict[str, tuple[tuple, dict[str, dict[str, Any]]]] = {}

    def close(self) -> None:
        """Close the database, after letting running training jobs finish (up to a minute)."""
        self._closed = True
        self.training_jobs.wait(timeout_s=60)
        self.repo.close()

    # -- projects ---------------------------------------------------------------------
    def create_project(self, name: str, store: str, embedding_model: str = DEFAULT_MODEL,
                       weak_supervision: dict[str, float] | None = None) -> dict[str, Any]:
        check_name("project", name, project=name)
        check_name("store", store, project=name)
        if self.repo.project(name) is not None:
            raise AlreadyExists("a project with this name already exists", project=name)
        settings = WeakSupervisionSettings(**(weak_supervision or {}))
        self.repo.insert_project(name, store, embedding_model, settings.to_dict())
        return self.get_project(name, sync=False)

    def get_project(self, name: str, sync: bool = True) -> dict[str, Any]:
        if sync:
            self.sync(name)
        project = self._project(name)
        project["tasks"] = self.list_tasks(name)
        project["records"] = self.repo.count_records(name)
        project["lookup_lists"] = sorted(self.repo.lookup_lists(name))
        return project

    def list_projects(self) -> list[dict[str, Any]]:
        return [self._project(name) for name in self.repo.project_names()]

    def delete_project(self, name: str) -> None:
        self._project(name)
        self.repo.delete_project(name)

    def set_weak_supervision(self, project: str, c: float | None = None, k: float | None = None,
                             default_precision: float | None = None,
                             prior_strength: float | None = None) -> dict[str, float]:
        current = self._project(project)["weak_supervision"]
        given = {"c": c, "k": k, "default_precision": default_precision, "prior_strength": prior_strength}
        changed = {key: float(v) for key, v in given.items() if v is not None}
        settings = WeakSupervisionSettings(**{**current, **changed})
        self.repo.set_weak_supervision(project, settings.to_dict())
        return settings.to_dict()

    def _project(self, name: str) -> dict[str, Any]:
        project = self.repo.project(name)
        if project is None:
            raise NotFound("no such labeling project", project=name)
        return project

    # -- sync from the shared store --------------------------------------------------------
    def sync(self, project: str) -> dict[str, int]:
        """Pull records written to the project's store since the last sync (by `seq`)."""
        with self._sync_lock:
            return self._sync(project)

    def _sync(self, project: str) -> dict[str, int]:
        info = self._project(project)
        if self.store_client is None:
            raise StoreUnavailable("no store client: cannot sync the project from its store", project=project)
        after, added, updated = info["synced_seq"], 0, 0
        while True:
            try:
                page = self.store_client.read_since(info["store"], after, limit=SYNC_PAGE)
            except LookupError:
                # The store does not exist yet (a flow creates it on its first write):
                # the project simply has no records so far.
                log.info('project "%s": store "%s" does not exist yet', project, info["store"])
                break
            except Exception as exc:
                raise StoreUnavailable(f'cannot read store "{info["store"]}": {type(exc).__name__}: {exc}',
                                       project=project) from exc
            records, last_seq = page["records"], int(page["last_seq"])
            if records:
                counts = self.repo.upsert_records(project, records, last_seq)
                added, updated = added + counts["added"], updated + counts["updated"]
            elif last_seq > after:
                self.repo.set_synced_seq(project, last_seq)
            if not records or last_seq <= after:
                break
            after = last_seq
        if added or updated:
            log.info('project "%s": synced %d new and %d changed records from store "%s"',
                     project, added, updated, info["store"])
            self._log_field_gaps(project)
        return {"added": added, "updated": updated, "synced_seq": self._project(project)["synced_seq"]}

    def list_records(self, project: str, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Project records (synced first), each as {"id", "data", "labels": {task: label info}}."""
        self.sync(project)
        records = self.repo.records(project, limit=limit, offset=offset)
        labels: dict[str, dict[str, Any]] = {}
        for row in self.repo.labels(project, record_ids=[r["id"] for r in records]):
            labels.setdefault(row["record_id"], {})[row["task"]] = {
                "label": row["label"], "labeled_by": row["labeled_by"], "labeled_at": row["labeled_at"]}
        return [{"id": r["id"], "data": r, "labels": labels.get(r["id"], {})} for r in records]

    # -- tasks ------------------------------------------------------------------------
    def create_task(self, project: str, name: str, labels: list[str], text_fields: list[str],
                    min_confidence: float = 0.0, retrain_after: int = DEFAULT_RETRAIN_AFTER) -> dict[str, Any]:
        """A labeling task. `min_confidence`: weak supervision gives no label below it (0:
        a label wherever a heuristic voted); `retrain_after`: retrain the task's model in
        the background once this many labels were set since its latest version (0: never)."""
        self._project(project)
        check_name("task", name, project=project, task=name)
        if any(t["name"] == name for t in self.repo.tasks(project)):
            raise AlreadyExists("a task with this name already exists", project=project, task=name)
        labels = [str(label) for label in labels]
        if len(labels) < 2 or len(set(labels)) != len(labels) or any(not label.strip() for label in labels):
            raise LabelingInvalid("a task needs at least two distinct, non-empty labels", project=project, task=name)
        if not text_fields or any(not isinstance(f, str) or not f for f in text_fields):
            raise LabelingInvalid("a task needs at least one text field (record key) to read",
                                  project=project, task=name)
        min_confidence, retrain_after = self._checked_task_settings(min_confidence, retrain_after, project, name)
        self.repo.insert_task(project, name, labels, list(text_fields), min_confidence, retrain_after)
        return {**self._task(project, name).to_dict(), "warnings": self.field_reports(project)[name]["warnings"]}

    def set_task_settings(self, project: str, task: str, min_confidence: float | None = None,
                          retrain_after: int | None = None) -> dict[str, Any]:
        """Change a task's minimum confidence and/or background-retraining count."""
        current = self._task_row(project, task)
        min_confidence, retrain_after = self._checked_task_settings(
            current["min_confidence"] if min_confidence is None else min_confidence,
            current["retrain_after"] if retrain_after is None else retrain_after, project, task)
        self.repo.set_task_settings(project, task, min_confidence, retrain_after)
        return self._task_row(project, task)

    @staticmethod
    def _checked_task_settings(min_confidence: Any, retrain_after: Any, project: str, task: str) -> tuple[float, int]:
        try:
            value, count = float(min_confidence), int(retrain_after)
        except (TypeError, ValueError):
            raise LabelingInvalid("min_confidence must be a number and retrain_after a whole number",
                                  project=project, task=task) from None
        if not 0.0 <= value <= 1.0 or count < 0:
            raise LabelingInvalid("min_confidence must be within [0, 1] and retrain_after ≥ 0 (0: never)",
                                  project=project, task=task)
        return value, count

    def list_tasks(self, project: str) -> list[dict[str, Any]]:
        """The project's tasks, each with the `warnings` of its text fields on the records
        synced so far (a field that occurs on none of them: field_checks.py)."""
        reports = self.field_reports(project)
        return [{**task, "warnings": reports[task["name"]]["warnings"]} for task in self.repo.tasks(project)]

    def field_reports(self, project: str) -> dict[str, dict[str, Any]]:
        """Per task: `text_fields` (per field, records missing it and records where it is
        blank) and `warnings`, over the project's synced records, in one scan (cached until
        the next sync that changes records, or a task change)."""
        info = self._project(project)
        tasks = self.repo.tasks(project)
        key = (info["created_at"], info["synced_seq"], tuple((t["name"], tuple(t["text_fields"])) for t in tasks))
        cached = self._field_reports.get(project)
        if cached is not None and cached[0] == key:
            return cached[1]
        fields = sorted({f for task in tasks for f in task["text_fields"]})
        counts, records = self.repo.field_coverage(project, fields), self.repo.count_records(project)
        reports = {}
        for task in tasks:
            text_fields, warnings = field_report(task["name"], task["text_fields"], counts, records)
            reports[task["name"]] = {"text_fields": text_fields, "warnings": warnings, "records": records}
        self._field_reports[project] = (key, reports)
        return reports

    def field_warnings(self, project: str, tasks: list[str] | None = None) -> list[dict[str, Any]]:
        """The warnings of `tasks` (default: all), after a sync: what validation reports."""
        self.sync(project)
        return [w for name, report in self.field_reports(project).items() if tasks is None or name in tasks
                for w in report["warnings"]]

    def _log_field_gaps(self, project: str) -> None:
        """Log what the sync status counts, when records changed: a task reading a field the
        records lack embeds empty text (warning when no record has it, info for some)."""
        for task, report in self.field_reports(project).items():
            for warning in report["warnings"]:
                log.warning('project "%s": %s', project, warning["message"])
            for gap in gaps_worth_logging(task, report["text_fields"], report["records"]):
                log.info('project "%s": %s', project, gap)

    def delete_task(self, project: str, task: str) -> None:
        self._task(project, task)
        self.repo.delete_task(project, task)

    def _task(self, project: str, name: str) -> TaskSpec:
        return TaskSpec.from_dict(self._task_row(project, name))

    def _task_row(self, project: str, name: str) -> dict[str, Any]:
        self._project(project)
        for task in self.repo.tasks(project):
            if task["name"] == name:
                return task
        raise NotFound("no such task", project=project, task=name)

    # -- manual labels ----------------------------------------------------------------
    def set_label(self, project: str, task: str, record_id: str, label: str, user: str) -> dict[str, Any]:
        spec = self._task(project, task)
        if label not in spec.labels:
            raise UnknownLabel(f"{label!r} is not a label of the task ({', '.join(spec.labels)})",
                               project=project, task=task, record_id=record_id)
        self.sync(project)
        if not self.repo.records(project, ids=[record_id]):
            raise NotFound("no such record in the project", project=project, task=task, record_id=record_id)
        at = self.repo.set_label(project, task, record_id, label, user)
        self.maybe_retrain(project, task)
        return {"task": task, "record_id": record_id, "label": label, "labeled_by": user, "labeled_at": at}

    def apply_labels(self, project: str, task: str, items: list[dict[str, Any]], user: str) -> dict[str, Any]:
        """Set or remove many manual labels at once: `items` are `{"record_id", "label"}`,
        a null label removes that record's label. All or nothing: an unknown label, an
        unknown record or a record named twice refuses the whole batch (naming the record)
        before anything is written; then one transaction. Answers the counts."""
        spec = self._task(project, task)
        labels: dict[str, str] = {}
        removals: list[str] = []
        seen: set[str] = set()
        for item in items:
            record_id, label = item["record_id"], item.get("label")
            if record_id in seen:
                raise LabelingInvalid("the record is named twice in one batch", project=project, task=task,
                                      record_id=record_id)
            seen.add(record_id)
            if label is None:
                removals.append(record_id)
            elif label not in spec.labels:
                raise UnknownLabel(f"{label!r} is not a label of the task ({', '.join(spec.labels)}); "
                                   "nothing in this batch was stored", project=project, task=task, record_id=record_id)
            else:
                labels[record_id] = label
        self.sync(project)
        known = self.repo.existing_record_ids(project, list(labels))
        for record_id in labels:
            if record_id not in known:
                # Invalid (400), not NotFound: the batch is the resource, and it is refused whole.
                raise LabelingInvalid("no such record in the project (nothing in this batch was stored)",
                                      project=project, task=task, record_id=record_id)
        removed, at = self.repo.apply_labels(project, task, labels, removals, user)
        if labels:
            self.maybe_retrain(project, task)
        return {"task": task, "set": len(labels), "removed": removed, "labeled_by": user, "labeled_at": at}

    def clear_label(self, project: str, task: str, record_id: str) -> bool:
        """Remove the manual label; False when the record had none."""
        self._task(project, task)
        return self.repo.clear_label(project, task, record_id)

    def manual_labels(self, project: str, task: str) -> list[dict[str, Any]]:
        self._task(project, task)
        return self.repo.labels(project, task)

    # -- lookup lists -----------------------------------------------------------------
    def set_lookup_list(self, project: str, name: str, terms: list[str]) -> dict[str, Any]:
        self._project(project)
        check_name("lookup list", name, project=project)
        cleaned = sorted({str(t).strip() for t in terms if str(t).strip()})
        self.repo.set_lookup_list(project, name, cleaned)
        return {"name": name, "terms": cleaned}

    def get_lookup_list(self, project: str, name: str) -> dict[str, Any]:
        lists = self.repo.lookup_lists(project)
        if name not in lists:
            raise NotFound(f'no lookup list "{name}"', project=project)
        return {"name": name, "terms": lists[name]}

    def list_lookup_lists(self, project: str) -> list[dict[str, Any]]:
        self._project(project)
        return [{"name": n, "terms": t} for n, t in self.repo.lookup_lists(project).items()]

    def delete_lookup_list(self, project: str, name: str) -> bool:
        self._project(project)
        users = [h["name"] for h in self.repo.heuristics(project)
                 if h["kind"] == LOOKUP_LIST and h["config"]["list"] == name]
        if users:
            raise LabelingInvalid(f'lookup list "{name}" is used by heuristics {", ".join(users)}; delete them first',
                                  project=project)
        return self.repo.delete_lookup_list(project, name)

    # -- heuristics -------------------------------------------------------------------
    def save_heuristic(self, project: str, task: str, name: str, kind: str, config: dict[str, Any],
                       replace: bool = False) -> dict[str, Any]:
        """Create (or with replace=True, update) a heuristic. Configs by kind:
        labeling_function {"code"}; lookup_list {"list", "label"};
        active_learner {"min_confidence" (default 0: it votes on every record), "c" (inverse
        regularisation; left out: chosen by cross-validation at training time)}."""
        spec = self._task(project, task)
        names: dict[str, Any] = dict(project=project, task=task, heuristic=name)
        check_name("heuristic", name, **names)
        if kind not in KINDS:
            raise HeuristicError(f"unknown heuristic kind {kind!r} (use one of {', '.join(KINDS)})", **names)
        exists = any(h["name"] == name for h in self.repo.heuristics(project, task))
        if exists and not replace:
            raise AlreadyExists("a heuristic with this name already exists in the task", **names)
        config = self._checked_config(spec, kind, dict(config), names)
        self.repo.save_heuristic(project, task, name, kind, config)
        return {"task": task, "name": name, "kind": kind, "config": config}

    def _checked_config(self, spec: TaskSpec, kind: str, config: dict[str, Any], names: dict) -> dict[str, Any]:
        if kind == LABELING_FUNCTION:
            code = config.get("code")
            if not isinstance(code, str) or not code.strip():
                raise HeuristicError('a labeling function needs "code" defining `def lf(record)`', **names)
            check_labeling_function(code, **names)
            return {"code": code}
        if kind == LOOKUP_LIST:
            list_name, label = config.get("list"), config.get("label")
            if list_name not in self.repo.lookup_lists(names["project"]):
                raise NotFound(f"no lookup list {list_name!r}", **names)
            if label not in spec.labels:
                raise UnknownLabel(f"{label!r} is not a label of the task ({', '.join(spec.labels)})", **names)
            return {"list": list_name, "label": label}
        try:
            min_conf = float(config.get("min_confidence", DEFAULT_MIN_CONFIDENCE))
            c = None if config.get("c") is None else float(config["c"])
        except (TypeError, ValueError):
            raise HeuristicError("min_confidence and c must be numbers", **names) from None
        if not 0.0 <= min_conf <= 1.0 or (c is not None and c <= 0):
            raise HeuristicError("min_confidence must be within [0, 1] and c positive", **names)
        return {"min_confidence": min_conf, **({"c": c} if c is not None else {})}

    def list_heuristics(self, project: str, task: str | None = None) -> list[dict[str, Any]]:
        if task is not None:
            self._task(project, task)
        else:
            self._project(project)
        return self.repo.heuristics(project, task)

    def delete_heuristic(self, project: str, task: str, name: str) -> bool:
        self._task(project, task)
        return self.repo.delete_heuristic(project, task, name)

    # convenience wrappers with the common arguments spelled out
    def add_labeling_function(self, project: str, task: str, name: str, code: str) -> dict[str, Any]:
        return self.save_heuristic(project, task, name, LABELING_FUNCTION, {"code": code})

    def add_lookup_heuristic(self, project: str, task: str, name: str, list_name: str, label: str) -> dict[str, Any]:
        return self.save_heuristic(project, task, name, LOOKUP_LIST, {"list": list_name, "label": label})

    def add_active_learner(self, project: str, task: str, name: str,
                           min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                           c: float | None = None) -> dict[str, Any]:
        """An active learner; `c` None: its regularisation is chosen by cross-validation."""
        config: dict[str, Any] = {"min_confidence": min_confidence, **({"c": c} if c is not None else {})}
        return self.save_heuristic(project, task, name, ACTIVE_LEARNER, config)

    # -- embeddings -------------------------------------------------------------------
    def compute_embeddings(self, project: str, task: str | None = None,
                           progress: ProgressCallback | None = None) -> dict[str, int]:
        """Embed the text of every record for each task (or one), reusing cached vectors
        whose text hash still matches. Returns {"total", "cached", "computed"}."""
        self.sync(project)
        specs = [self._task(project, task)] if task else [TaskSpec.from_dict(t) for t in self.repo.tasks(project)]
        records = self.repo.records(project)
        totals = {"total": 0, "cached": 0, "computed": 0}
        seen: set[str] = set()
        for spec in specs:
            if spec.fields_key in seen:
                continue
            seen.add(spec.fields_key)
            _, counts = self._embeddings(project, spec, records, progress)
            for key in totals:
                totals[key] += counts[key]
        return totals

    def _embeddings(self, project: str, spec: TaskSpec, records: list[dict],
                    progress: ProgressCallback | None = None) -> tuple[np.ndarray, dict[str, int]]:
        model = self._project(project)["embedding_model"]
        texts = [spec.text_of(r) for r in records]
        hashes = [text_hash(t) for t in texts]
        ids = [r["id"] for r in records]
        cached = self.repo.cached_embeddings(project, spec.fields_key, model, zip(ids, hashes))
        missing = [i for i, record_id in enumerate(ids) if record_id not in cached]
        vectors: dict[str, np.ndarray] = {rid: np.frombuffer(blob, dtype=np.float32) for rid, blob in cached.items()}
        if missing:
            log.info('project "%s", task "%s": embedding %d of %d records (%d cached)', project, spec.name,
                     len(missing), len(ids), len(cached))
            fresh = self._embedder_factory(model).encode([texts[i] for i in missing], progress)
            self.repo.store_embeddings(project, spec.fields_key, model, [ids[i] for i in missing],
                                       [hashes[i] for i in missing], fresh)
            for row, i in enumerate(missing):
                vectors[ids[i]] = fresh[row]
        matrix = np.vstack([vectors[rid] for rid in ids]) if ids else np.zeros((0, 0), dtype=np.float32)
        return matrix, {"total": len(ids), "cached": len(cached), "computed": len(missing)}

    # -- heuristics at work -----------------------------------------------------------
    def _evaluate(self, project: str, task: str, progress: ProgressCallback | None = None,
                  labelled_only: bool = False, model: dict[str, Any] | None = None,
                  need_embeddings: bool = False) -> dict[str, Any]:
        """Votes of every heuristic of a task over all project records (or only the
        manually labelled ones), with active learners voting by the task's latest trained
        model version (never trained here), plus what the bundle needs: the learners' stored
        weights and the lookup lists' terms. `need_embeddings`: embed the records even when
        no learner is trained (a cold-start suggestion needs them)."""
        self.sync(project)
        spec = self._task(project, task)
        if model is None:
            model = self.repo.latest_model(project, task)
        manual = {row["record_id"]: row["label"] for row in self.repo.labels(project, task)}
        records = self.repo.records(project, ids=sorted(manual)) if labelled_only else self.repo.records(project)
        lookup_lists = self.repo.lookup_lists(project)
        rows = self.repo.heuristics(project, task)
        items: list[dict[str, Any]] = []
        votes: dict[str, Votes] = {}
        embeddings: np.ndarray | None = None
        trained = any(row["kind"] == ACTIVE_LEARNER and (learner_entry(model, row["name"]) or {}).get("weights")
                      for row in rows)
        if need_embeddings or trained:
            embeddings, _ = self._embeddings(project, spec, records, progress)
        functions = [(row["name"], row["config"]["code"]) for row in rows if row["kind"] == LABELING_FUNCTION]
        if self.isolate_user_code:
            votes.update(run_labeling_functions(project, spec, functions, records, self.user_code_timeout_s,
                                                self.wrap_command))
        for row in rows:
            name, kind, config = row["name"], row["kind"], row["config"]
            if kind == ACTIVE_LEARNER:
                entry = learner_entry(model, name)
                weights = entry.get("weights") if entry else None
                item = {"name": name, "kind": kind, "min_confidence": config["min_confidence"], "weights": weights,
                        "model_version": model["version"] if weights is not None and model else None}
                votes[name] = learner_votes(entry, records, embeddings, config["min_confidence"])
            else:
                if kind == LABELING_FUNCTION:
                    item = {"name": name, "kind": kind, "code": config["code"]}
                else:
                    item = {"name": name, "kind": kind, "list": config["list"], "label": config["label"],
                            "terms": lookup_lists.get(config["list"], [])}
                if name not in votes:
                    votes[name] = heuristic_from_item(project, spec, item).votes(records)
            items.append(item)
        return {"spec": spec, "records": records, "manual": manual, "votes": votes, "items": items,
                "rows": rows, "model": model, "embeddings": embeddings, "lookup_lists": lookup_lists}

    def _precision(self, project: str, evaluated: dict[str, Any]) -> PrecisionTable:
        """Estimated precision per heuristic and label, as weak supervision weighs votes:
        learners graded on their stored out-of-fold votes, rule heuristics by the counts the
        model version stored while they are unchanged (else graded afresh on the manual
        labels), every count blended with the prior (weak_supervision.estimated_precision)."""
        settings = WeakSupervisionSettings(**self._project(project)["weak_supervision"])
        spec, manual, model = evaluated["spec"], evaluated["manual"], evaluated["model"]
        counts: dict[str, dict[str, dict[str, int]]] = {}
        for row in evaluated["rows"]:
            name = row["name"]
            if row["kind"] == ACTIVE_LEARNER:
                counts[name] = counts_from_votes(oof_votes(learner_entry(model, name), row["config"]["min_confidence"]),
                                                 manual, spec.labels)
            else:
                stored = stored_counts(model, row, evaluated["lookup_lists"])
                counts[name] = stored if stored is not None else counts_from_votes(evaluated["votes"][name], manual,
                                                                                   spec.labels)
        return precision_table({name: {"per_label": per_label} for name, per_label in counts.items()}, settings)

    def heuristic_statistics(self, project: str, task: str) -> dict[str, Any]:
        """Coverage, overlaps, conflicts, true/false positives and precision of each heuristic
        (learners as the latest trained model votes, on labelled records out of fold)."""
        evaluated = self._evaluate(project, task)
        spec = evaluated["spec"]
        stats = heuristic_statistics(evaluated["votes"], evaluated["manual"], len(evaluated["records"]), spec.labels)
        return {
            "project": project, "task": task, "records": len(evaluated["records"]),
            "manual_labels": len(evaluated["manual"]),
            "heuristics": [{"name": item["name"], "kind": item["kind"], **stats[item["name"]]}
                           for item in evaluated["items"]],
        }

    def weak_supervision(self, project: str, task: str, method: str = "refinery") -> dict[str, Any]:
        """Labels for every project record from its heuristics' votes.
        method "refinery" (estimated precision × confidence, margin, sigmoid) or "majority".
        `agreement` compares the weak labels with the manual ones where both exist."""
        if method not in ("refinery", "majority"):
            raise LabelingInvalid(f"unknown method {method!r} (use refinery or majority)", project=project, task=task)
        evaluated = self._evaluate(project, task)
        results = self._weak_results(project, evaluated, method)
        distribution = {label: 0 for label in evaluated["spec"].labels}
        for result in results.values():
            if result["prediction"] is not None:
                distribution[result["prediction"]] += 1
        manual = evaluated["manual"]
        compared = [rid for rid in manual if results.get(rid, {}).get("prediction") is not None]
        agreed = sum(1 for rid in compared if results[rid]["prediction"] == manual[rid])
        return {"project": project, "task": task, "method": method, "distribution": distribution,
                "settings": self._project(project)["weak_supervision"],
                "agreement": {"manual_labels": len(manual), "compared": len(compared), "agreed": agreed,
                              "rate": agreed / len(compared) if compared else None},
                "results": results}

    def _weak_results(self, project: str, evaluated: dict[str, Any], method: str = "refinery") -> dict[str, Any]:
        """{record_id: {"prediction", "confidence", "votes"}} for every evaluated record."""
        settings = WeakSupervisionSettings(**self._project(project)["weak_supervision"])
        spec = evaluated["spec"]
        precision = self._precision(project, evaluated) if method == "refinery" else {}
        by_record = votes_by_record(evaluated["votes"])
        results: dict[str, Any] = {}
        for record in evaluated["records"]:
            record_votes = by_record.get(record["id"], {})
            if method == "refinery":
                label, confidence = refinery_vote(record_votes, precision, settings, spec.labels, spec.min_confidence)
            else:
                label, confidence = majority_vote(record_votes)
            results[record["id"]] = {"prediction": label, "confidence": confidence,
                                     "votes": {h: v[0] for h, v in record_votes.items()}}
        return results

    # -- what to label next -------------------------------------------------------------
    def status(self, project: str) -> dict[str, Any]:
        """Sync status: records synced, and per task how many are labelled, unlabelled and
        embedded (a cached vector whose text still matches the record), per text field how
        many records miss it or leave it blank, and the warnings of field_checks.py."""
        self.sync(project)
        info = self._project(project)
        records = self.repo.records(project)
        reports = self.field_reports(project)
        tasks = []
        for task in self.repo.tasks(project):
            spec = TaskSpec.from_dict(task)
            labeled = len(self.repo.labels(project, spec.name))
            wanted = [(r["id"], text_hash(spec.text_of(r))) for r in records]
            embedded = len(self.repo.cached_embeddings(project, spec.fields_key, info["embedding_model"], wanted))
            # .get: a task created since field_reports read the task list has no report yet
            report = reports.get(spec.name, {"text_fields": [], "warnings": []})
            tasks.append({"task": spec.name, "labeled": labeled, "unlabeled": len(records) - labeled,
                          "embedded": embedded, "text_fields": report["text_fields"], "warnings": report["warnings"]})
        return {"project": project, "store": info["store"], "synced_seq": info["synced_seq"],
                "records": len(records), "tasks": tasks,
                "warnings": [w for task in tasks for w in task["warnings"]]}

    def suggestions(self, project: str, task: str, filter: str = "suggested", limit: int = 50,
                    max_confidence: float = DEFAULT_MAX_CONFIDENCE,
                    exclude: list[str] | None = None, strategy: str = DEFAULT_STRATEGY) -> dict[str, Any]:
        """Records of a filter in label-next order (`strategy`: "active" — cold start, then
        the trained model's least sure records, diverse — "heuristics" or "random"; see
        suggestions.py), each with its manual label, its heuristics' votes and its
        weak-supervision result. `exclude`: ids the client already holds (next page)."""
        if filter not in FILTERS:
            raise LabelingInvalid(f"unknown filter {filter!r} (use one of {', '.join(FILTERS)})",
                                  project=project, task=task)
        if strategy not in STRATEGIES:
            raise LabelingInvalid(f"unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})",
                                  project=project, task=task)
        if not 0.0 <= max_confidence <= 1.0:
            raise LabelingInvalid("max_confidence must be within [0, 1]", project=project, task=task)
        self._task(project, task)
        self.maybe_retrain(project, task)
        learners = [row for row in self.repo.heuristics(project, task) if row["kind"] == ACTIVE_LEARNER]
        active = strategy == "active" and bool(learners)
        evaluated = self._evaluate(project, task, need_embeddings=active)
        results = self._weak_results(project, evaluated)
        by_record = votes_by_record(evaluated["votes"])
        manual = {row["record_id"]: row for row in self.repo.labels(project, task)}
        records = evaluated["records"]
        items = [record_item(r, manual.get(r["id"]), by_record.get(r["id"], {}), results[r["id"]]) for r in records]
        matching = [i for i, item in enumerate(items) if matches_filter(item, filter, max_confidence)]
        excluded = set(exclude or ())
        candidates = [i for i in matching if items[i]["id"] not in excluded]
        unlabelled = [i for i in candidates if items[i]["label"] is None]
        labelled = [i for i in candidates if items[i]["label"] is not None]  # only the "all" filter has them
        if strategy == "random":
            picked = [unlabelled[j] for j in random_order([items[i]["id"] for i in unlabelled],
                                                          stable_seed(project, task))][:limit]
            reasons = {i: "random pick" for i in picked}
        elif not active:
            picked = sorted(unlabelled, key=lambda i: priority(items[i]))[:limit]
            reasons = {i: reason(items[i]) for i in picked}
        else:
            picked, reasons = self._active_order(project, task, evaluated, learners, unlabelled, excluded, limit)
        if len(picked) < limit:
            rest = sorted(labelled, key=lambda i: priority(items[i]))[:limit - len(picked)]
            picked += rest
            reasons.update({i: reason(items[i]) for i in rest})
        chosen = [{**items[i], "reason": reasons[i]} for i in picked]
        return {"project": project, "task": task, "filter": filter, "strategy": strategy, "total": len(matching),
                "records": chosen}

    def _active_order(self, project: str, task: str, evaluated: dict[str, Any], learners: list[dict[str, Any]],
                      candidates: list[int], excluded: set[str], limit: int) -> tuple[list[int], dict[int, str]]:
        """Active learning over record indices: cold start without a trained learner, else
        the least sure (density-weighted) records of the latest model, kept diverse (see
        suggestions.py)."""
        embeddings = evaluated["embeddings"]
        records, manual, spec = evaluated["records"], evaluated["manual"], evaluated["spec"]
        if not candidates or embeddings is None:
            return [], {}
        trained = [entry for row in learners
                   for entry in [learner_entry(evaluated["model"], row["name"])] if entry and entry.get("weights")]
        held = np.asarray([i for i, r in enumerate(records) if r["id"] in excluded], dtype=np.int64)
        vectors = embeddings[candidates]
        if not trained:
            known = np.asarray([i for i, r in enumerate(records) if r["id"] in excluded or r["id"] in manual],
                               dtype=np.int64)
            order = cold_start_order(vectors, limit, embeddings[known], seed=stable_seed(project, task, len(manual)))
            picked = [candidates[j] for j in order]
            return picked, {i: "cold start: spread over the records (no trained model yet)" for i in picked}
        proba = mean_proba(trained, spec.labels, vectors)
        # Least sure and typical first (density over all the project's records), diverse.
        order, _ = active_order(margins(proba), vectors, embeddings, limit, embeddings[held],
                                seed=stable_seed(project, task))
        picked, reasons = [], {}
        for j in order:
            top = np.argsort(-proba[j])[:2]
            reasons[candidates[j]] = (f"the model is least sure: {spec.labels[top[0]]} {proba[j, top[0]]:.2f} vs "
                                      f"{spec.labels[top[1]]} {proba[j, top[1]]:.2f}")
            picked.append(candidates[j])
        return picked, reasons

    # -- trying a labeling function before saving it ----------------------------------------
    def preview_labeling_function(self, project: str, task: str, code: str, sample_size: int = 20,
                                  name: str = "preview") -> dict[str, Any]:
        """Run unsaved labeling-function code on a sample of the project's records, always
        in a child process with a timeout (it is user code). The sample is the manually
        labelled records first (so the preview can show hits and misses), then others in
        record order. Returns the votes and, where a manual label exists, whether it matched."""
        spec = self._task(project, task)
        names: dict[str, Any] = dict(project=project, task=task, heuristic=name)
        check_name("heuristic", name, **names)
        if not isinstance(code, str) or not code.strip():
            raise HeuristicError('a labeling function needs code defining `def lf(record)`', **names)
        if not 1 <= sample_size <= PREVIEW_MAX_SAMPLE:
            raise LabelingInvalid(f"sample_size must be within 1..{PREVIEW_MAX_SAMPLE}", **names)
        check_labeling_function(code, **names)
        self.sync(project)
        manual = {row["record_id"]: row["label"] for row in self.repo.labels(project, task)}
        labelled = self.repo.records(project, ids=sorted(manual), limit=sample_size) if manual else []
        rest = [r for r in self.repo.records(project, limit=sample_size + len(labelled)) if r["id"] not in manual]
        sample = (labelled + rest)[:sample_size]
        votes = run_labeling_functions(project, spec, [(name, code)], sample,
                                       min(self.user_code_timeout_s, PREVIEW_TIMEOUT_S), self.wrap_command)[name]
        rows = []
        for record in sample:
            vote = votes.get(record["id"], (None, None))[0]
            label = manual.get(record["id"])
            rows.append({"id": record["id"], "text": spec.text_of(record), "vote": vote, "manual": label,
                         "correct": None if vote is None or label is None else vote == label})
        graded = [row for row in rows if row["correct"] is not None]
        return {"project": project, "task": task, "sample_size": len(sample), "hits": len(votes),
                "graded": len(graded), "correct": sum(1 for row in graded if row["correct"]), "records": rows}

    # -- training: a versioned model per task, on demand and in the background ------------------
    def train(self, project: str, task: str, progress: JobProgress | None = None,
              trigger: str = "request") -> dict[str, Any]:
        """Embed the task's records, train each active learner on the manual labels (C by
        cross-validation, calibrated probabilities: learner.py), grade every heuristic
        against the manual labels, and store the result as the task's next model version.
        Returns {"model_version", "embeddings", "manual_labels", "learners"}."""
        spec = self._task(project, task)
        with self._training_lock(project, task):
            trained_at = utcnow()  # labels set from here on count as new for the next retraining
            self.sync(project)
            info = self._project(project)
            rows = self.repo.heuristics(project, task)
            learners = [row for row in rows if row["kind"] == ACTIVE_LEARNER]
            manual = {row["record_id"]: row["label"] for row in self.repo.labels(project, task)}
            records = self.repo.records(project)
            if progress is not None:
                progress.phase("embedding")
            embeddings, embedded = (self._embeddings(project, spec, records, progress) if learners
                                    else (None, {"total": len(records), "cached": 0, "computed": 0}))
            if progress is not None:
                progress.phase("training", total=1)
            # Ordered by record id, so folds (and so the model) do not depend on sync order.
            labelled = sorted((i for i, r in enumerate(records) if r["id"] in manual), key=lambda i: records[i]["id"])
            ids = [records[i]["id"] for i in labelled]
            y = [manual[record_id] for record_id in ids]
            trained: dict[str, Any] = {}
            for row in learners:
                result = None
                if embeddings is not None and len(set(y)) >= 2:
                    result = train_learner(embeddings[labelled], y, ids, c=row["config"].get("c"))
                else:
                    log.info('project "%s", task "%s": active learner "%s" waits for manual labels of two labels',
                             project, task, row["name"])
                trained[row["name"]] = {"config": row["config"], **(result or {"weights": None})}
            heuristics = self._grade_rules(project, spec, rows, [records[i] for i in labelled], manual)
            for row in learners:
                heuristics[row["name"]] = {"kind": ACTIVE_LEARNER, "per_label": counts_from_votes(
                    oof_votes(trained[row["name"]], row["config"]["min_confidence"]), manual, spec.labels)}
            model = {"labels": list(spec.labels), "embedding_model": info["embedding_model"],
                     "manual_labels": len(manual), "trigger": trigger, "learners": trained, "heuristics": heuristics}
            version = self.repo.insert_model(project, task, model, len(manual), info["embedding_model"], trained_at)
            if progress is not None:
                progress(1, 1)
        log.info('project "%s", task "%s": trained model version %d on %d manual labels (%s)', project, task,
                 version, len(manual), ", ".join(f'{name}: C={entry.get("c")}' for name, entry in trained.items())
                 or "no active learner")
        return {"model_version": version, "embeddings": embedded, "manual_labels": len(manual),
                "learners": {name: {k: entry.get(k) for k in ("c", "c_source", "calibration", "cv", "trained_on")}
                             for name, entry in trained.items()}}

    def _grade_rules(self, project: str, spec: TaskSpec, rows: list[dict[str, Any]], labelled: list[dict],
                     manual: dict[str, str]) -> dict[str, Any]:
        """Per-label counts of each rule heuristic's votes on the labelled records, with the
        fingerprint they were graded under."""
        lookup_lists = self.repo.lookup_lists(project)
        rules = [row for row in rows if row["kind"] != ACTIVE_LEARNER]
        votes: dict[str, Votes] = {}
        functions = [(row["name"], row["config"]["code"]) for row in rules if row["kind"] == LABELING_FUNCTION]
        if self.isolate_user_code and functions and labelled:
            votes.update(run_labeling_functions(project, spec, functions, labelled, self.user_code_timeout_s,
                                                self.wrap_command))
        out: dict[str, Any] = {}
        for row in rules:
            if row["name"] not in votes:
                item = ({"name": row["name"], "kind": row["kind"], "code": row["config"]["code"]}
                        if row["kind"] == LABELING_FUNCTION else
                        {"name": row["name"], "kind": row["kind"], "list": row["config"]["list"],
                         "label": row["config"]["label"], "terms": lookup_lists.get(row["config"]["list"], [])})
                votes[row["name"]] = heuristic_from_item(project, spec, item).votes(labelled)
            out[row["name"]] = {"kind": row["kind"], "fingerprint": fingerprint(row, lookup_lists),
                                "per_label": counts_from_votes(votes[row["name"]], manual, spec.labels)}
        return out

    def _training_lock(self, project: str, task: str) -> threading.Lock:
        with self._training_locks_lock:
            return self._training_locks.setdefault((project, task), threading.Lock())

    def start_training(self, project: str, task: str, heuristic: str, trigger: str = "request") -> dict[str, Any]:
        """Train the task's model (embedding first, with progress) in a background job;
        returns the job to poll with `training_job`. `heuristic` names the active learner the
        job reports statistics of (every learner of the task is trained)."""
        self._task(project, task)
        row = next((h for h in self.repo.heuristics(project, task) if h["name"] == heuristic), None)
        names: dict[str, Any] = dict(project=project, task=task, heuristic=heuristic)
        if row is None:
            raise NotFound("no such heuristic", **names)
        if row["kind"] != ACTIVE_LEARNER:
            raise HeuristicError(f"only active learners are trained; this one is a {row['kind']}", **names)

        def work(progress: JobProgress) -> dict[str, Any]:
            trained = self.train(project, task, progress, trigger=trigger)
            stats = self.heuristic_statistics(project, task)
            learner = next(h for h in stats["heuristics"] if h["name"] == heuristic)
            result = {"embeddings": trained["embeddings"], "manual_labels": trained["manual_labels"],
                      "statistics": learner, "model_version": trained["model_version"],
                      "learner": trained["learners"].get(heuristic)}
            self.maybe_retrain(project, task, finishing=True)  # labels that arrived while this job ran
            return result

        return self.training_jobs.start({**names, "trigger": trigger}, work)

    def maybe_retrain(self, project: str, task: str, finishing: bool = False) -> dict[str, Any] | None:
        """Start a background training job when the task has an active learner and at least
        its `retrain_after` manual labels were set or changed since its latest model version
        (and no training of the task is running). Returns the job, or None. Cheap: two counts.
        `finishing`: called by the task's own job as it ends (so it does not count as running)."""
        if self._closed:
            return None
        row = self._task_row(project, task)
        if row["retrain_after"] <= 0 or (not finishing and self.training_jobs.running(project, task)):
            return None
        learners = [h["name"] for h in self.repo.heuristics(project, task) if h["kind"] == ACTIVE_LEARNER]
        if not learners:
            return None
        latest = self.repo.latest_model_info(project, task)
        new = self.repo.count_labels(project, task, since=latest["trained_at"] if latest else None)
        if new < row["retrain_after"]:
            return None
        log.info('project "%s", task "%s": %d new manual labels since model version %s: retraining in the background',
                 project, task, new, latest["version"] if latest else "none")
        return self.start_training(project, task, learners[0], trigger="labels")

    def wait_for_training(self, project: str | None = None, task: str | None = None,
                          timeout_s: float = 300.0) -> bool:
        """Block until no training job (of the project / task) runs; False on timeout."""
        return self.training_jobs.wait(project, task, timeout_s)

    def models_in_use(self) -> list[str]:
        """Embedding models of the projects that have a trained model version (to warm up)."""
        models = set()
        for name in self.repo.project_names():
            info = self.repo.project(name)
            if info and any(self.repo.latest_model_info(name, t["name"]) for t in self.repo.tasks(name)):
                models.add(info["embedding_model"])
        return sorted(models)

    def model_versions(self, project: str, task: str) -> list[dict[str, Any]]:
        """The stored model versions of a task (number, when, on how many labels), oldest first."""
        self._task(project, task)
        return self.repo.model_versions(project, task)

    def latest_model(self, project: str, task: str) -> dict[str, Any] | None:
        """The task's latest trained model version (see model_versions.py), or None."""
        self._task(project, task)
        return self.repo.latest_model(project, task)

    def training_job(self, project: str, job_id: str) -> dict[str, Any]:
        self._project(project)
        return self.training_jobs.get(job_id, project)

    # -- what the labeling.enrich node needs ------------------------------------------------
    def enrichment_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        """Everything needed to label records outside this process (see enrichment.py): per
        task its heuristics, the latest trained model version's learner weights and the
        precision estimates. Never trains: building it costs a few queries (plus grading, on
        the manual labels only, rule heuristics changed since the model was trained). When
        enough labels arrived since that version, a retraining starts in the background for
        later runs."""
        info = self._project(project)
        names = tasks or [t["name"] for t in self.repo.tasks(project)]
        if not names:
            raise LabelingInvalid("the project has no labeling tasks", project=project)
        bundle_tasks = []
        for task in names:
            spec = self._task(project, task)
            model = self.repo.latest_model(project, task)
            self.sync(project)
            rows = self.repo.heuristics(project, task)
            lookup_lists = self.repo.lookup_lists(project)
            changed = [row for row in rows if row["kind"] != ACTIVE_LEARNER
                       and stored_counts(model, row, lookup_lists) is None]
            # Rule heuristics changed since training are graded on the labelled records only
            # (no training); the rest reads the model version.
            evaluated = (self._evaluate(project, task, labelled_only=True, model=model) if changed else
                         self._bundle_evaluation(project, spec, model, rows, lookup_lists))
            version = model["version"] if model else None
            bundle_tasks.append({**spec.to_dict(), "heuristics": evaluated["items"],
                                 "precision": self._precision(project, evaluated), "model_version": version,
                                 "model_trained_at": model["trained_at"] if model else None})
            self.maybe_retrain(project, task)
        return {"project": project, "embedding_model": info["embedding_model"],
                "weak_supervision": info["weak_supervision"], "tasks": bundle_tasks}

    def _bundle_evaluation(self, project: str, spec: TaskSpec, model: dict[str, Any] | None,
                           rows: list[dict[str, Any]], lookup_lists: dict[str, list[str]]) -> dict[str, Any]:
        """What `_precision` and the bundle need when every rule heuristic is unchanged since
        the model was trained: items and the manual labels, no votes to compute."""
        items: list[dict[str, Any]] = []
        for row in rows:
            name, kind, config = row["name"], row["kind"], row["config"]
            if kind == ACTIVE_LEARNER:
                entry = learner_entry(model, name)
                weights = entry.get("weights") if entry else None
                items.append({"name": name, "kind": kind, "min_confidence": config["min_confidence"],
                              "weights": weights, "model_version": model["version"] if weights and model else None})
            elif kind == LABELING_FUNCTION:
                items.append({"name": name, "kind": kind, "code": config["code"]})
            else:
                items.append({"name": name, "kind": kind, "list": config["list"], "label": config["label"],
                              "terms": lookup_lists.get(config["list"], [])})
        manual = {row["record_id"]: row["label"] for row in self.repo.labels(project, spec.name)}
        return {"spec": spec, "manual": manual, "model": model, "rows": rows, "items": items, "votes": {},
                "lookup_lists": lookup_lists}
