"""`LabelingService`: the labeling projects' public Python API.

Owns projects (bound to a shared store, synced from it by the store's incremental
`seq` on every read), tasks and label sets, manual labels (with who and when), lookup
lists, heuristics, cached embeddings, statistics, weak supervision and the enrichment
bundle the `labeling.enrich` node uses. Arguments and results are plain JSON-able
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
from .heuristics import (ACTIVE_LEARNER, DEFAULT_LEARNER_C, DEFAULT_MIN_CONFIDENCE, KINDS, LABELING_FUNCTION,
                         LOOKUP_LIST, Votes, out_of_fold_proba, predict_proba, train_logistic_regression,
                         votes_from_proba)
from .lf_code import check_labeling_function
from .lf_runner import DEFAULT_TIMEOUT_S, no_wrapping, run_labeling_functions
from .repository import LabelingRepository
from .statistics import heuristic_statistics
from .suggestions import DEFAULT_MAX_CONFIDENCE, FILTERS, record_item, select
from .tasks import TaskSpec, text_hash
from .training_jobs import JobProgress, TrainingJobs
from .weak_supervision import (WeakSupervisionSettings, majority_vote, precision_table, refinery_vote,
                               votes_by_record)

SYNC_PAGE = 5000
PREVIEW_MAX_SAMPLE = 500
PREVIEW_TIMEOUT_S = 30.0
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

    def close(self) -> None:
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
        project["tasks"] = self.repo.tasks(name)
        project["records"] = self.repo.count_records(name)
        project["lookup_lists"] = sorted(self.repo.lookup_lists(name))
        return project

    def list_projects(self) -> list[dict[str, Any]]:
        return [self._project(name) for name in self.repo.project_names()]

    def delete_project(self, name: str) -> None:
        self._project(name)
        self.repo.delete_project(name)

    def set_weak_supervision(self, project: str, c: float | None = None, k: float | None = None,
                             default_precision: float | None = None) -> dict[str, float]:
        current = self._project(project)["weak_supervision"]
        given = {"c": c, "k": k, "default_precision": default_precision}
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
    def create_task(self, project: str, name: str, labels: list[str], text_fields: list[str]) -> dict[str, Any]:
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
        self.repo.insert_task(project, name, labels, list(text_fields))
        return self._task(project, name).to_dict()

    def list_tasks(self, project: str) -> list[dict[str, Any]]:
        self._project(project)
        return self.repo.tasks(project)

    def delete_task(self, project: str, task: str) -> None:
        self._task(project, task)
        self.repo.delete_task(project, task)

    def _task(self, project: str, name: str) -> TaskSpec:
        self._project(project)
        for task in self.repo.tasks(project):
            if task["name"] == name:
                return TaskSpec.from_dict(task)
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
        return {"task": task, "record_id": record_id, "label": label, "labeled_by": user, "labeled_at": at}

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
        active_learner {"min_confidence" (default 0.9), "c" (inverse regularisation, default 100)}."""
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
        min_conf = float(config.get("min_confidence", DEFAULT_MIN_CONFIDENCE))
        c = float(config.get("c", DEFAULT_LEARNER_C))
        if not 0.0 <= min_conf <= 1.0 or c <= 0:
            raise HeuristicError("min_confidence must be within [0, 1] and c positive", **names)
        return {"min_confidence": min_conf, "c": c}

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
                           c: float = DEFAULT_LEARNER_C) -> dict[str, Any]:
        return self.save_heuristic(project, task, name, ACTIVE_LEARNER, {"min_confidence": min_confidence, "c": c})

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
                  labelled_only: bool = False) -> dict[str, Any]:
        """Votes of every heuristic of a task over all project records (or only the
        manually labelled ones: all that precision needs), plus what the bundle needs:
        trained active-learner weights and the lookup lists' terms."""
        self.sync(project)
        spec = self._task(project, task)
        manual = {row["record_id"]: row["label"] for row in self.repo.labels(project, task)}
        records = self.repo.records(project, ids=sorted(manual)) if labelled_only else self.repo.records(project)
        lookup_lists = self.repo.lookup_lists(project)
        rows = self.repo.heuristics(project, task)
        items: list[dict[str, Any]] = []
        votes: dict[str, Votes] = {}
        embeddings: np.ndarray | None = None
        functions = [(row["name"], row["config"]["code"]) for row in rows if row["kind"] == LABELING_FUNCTION]
        if self.isolate_user_code:
            votes.update(run_labeling_functions(project, spec, functions, records, self.user_code_timeout_s,
                                                self.wrap_command))
        for row in rows:
            name, kind, config = row["name"], row["kind"], row["config"]
            if kind == ACTIVE_LEARNER:
                if embeddings is None:
                    embeddings, _ = self._embeddings(project, spec, records, progress)
                item, votes[name] = self._active_learner(project, spec, name, config, records, embeddings, manual)
            else:
                if kind == LABELING_FUNCTION:
                    item = {"name": name, "kind": kind, "code": config["code"]}
                else:
                    item = {"name": name, "kind": kind, "list": config["list"], "label": config["label"],
                            "terms": lookup_lists.get(config["list"], [])}
                if name not in votes:
                    votes[name] = heuristic_from_item(project, spec, item).votes(records)
            items.append(item)
        return {"spec": spec, "records": records, "manual": manual, "votes": votes, "items": items}

    def _active_learner(self, project: str, spec: TaskSpec, name: str, config: dict, records: list[dict],
                        embeddings: np.ndarray, manual: dict[str, str]) -> tuple[dict[str, Any], Votes]:
        """Train on the manual labels; vote on unlabelled records with that model and on
        labelled ones out of fold (see `out_of_fold_proba`)."""
        item = {"name": name, "kind": ACTIVE_LEARNER, "min_confidence": config["min_confidence"], "weights": None}
        # Ordered by record id, so folds (and so statistics) do not depend on sync order.
        labelled = sorted((i for i, r in enumerate(records) if r["id"] in manual), key=lambda i: records[i]["id"])
        y = [manual[records[i]["id"]] for i in labelled]
        if len(set(y)) < 2:
            log.info('project "%s", task "%s": active learner "%s" waits for manual labels of two labels',
                     project, spec.name, name)
            return item, {}
        x = embeddings[labelled]
        weights = train_logistic_regression(x, y, config.get("c", DEFAULT_LEARNER_C))
        item["weights"] = weights
        ids = [r["id"] for r in records]
        votes = votes_from_proba(weights["classes"], predict_proba(weights, embeddings), ids,
                                 config["min_confidence"])
        oof = out_of_fold_proba(x, y, config.get("c", DEFAULT_LEARNER_C))
        if oof is not None:
            labelled_ids = [ids[i] for i in labelled]
            for record_id in labelled_ids:
                votes.pop(record_id, None)
            votes.update(votes_from_proba(oof[0], oof[1], labelled_ids, config["min_confidence"]))
        return item, votes

    def heuristic_statistics(self, project: str, task: str) -> dict[str, Any]:
        """Coverage, overlaps, conflicts, true/false positives and precision of each heuristic."""
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
        method "refinery" (precision × confidence, margin, sigmoid) or "majority".
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
        precision = precision_table(heuristic_statistics(evaluated["votes"], evaluated["manual"],
                                                         len(evaluated["records"]), spec.labels))
        by_record = votes_by_record(evaluated["votes"])
        results: dict[str, Any] = {}
        for record in evaluated["records"]:
            record_votes = by_record.get(record["id"], {})
            if method == "refinery":
                label, confidence = refinery_vote(record_votes, precision, settings)
            else:
                label, confidence = majority_vote(record_votes)
            results[record["id"]] = {"prediction": label, "confidence": confidence,
                                     "votes": {h: v[0] for h, v in record_votes.items()}}
        return results

    # -- what to label next -------------------------------------------------------------
    def status(self, project: str) -> dict[str, Any]:
        """Sync status: records synced, and per task how many are labelled, unlabelled and
        embedded (a cached vector whose text still matches the record)."""
        self.sync(project)
        info = self._project(project)
        records = self.repo.records(project)
        tasks = []
        for task in self.repo.tasks(project):
            spec = TaskSpec.from_dict(task)
            labeled = len(self.repo.labels(project, spec.name))
            wanted = [(r["id"], text_hash(spec.text_of(r))) for r in records]
            embedded = len(self.repo.cached_embeddings(project, spec.fields_key, info["embedding_model"], wanted))
            tasks.append({"task": spec.name, "labeled": labeled, "unlabeled": len(records) - labeled,
                          "embedded": embedded})
        return {"project": project, "store": info["store"], "synced_seq": info["synced_seq"],
                "records": len(records), "tasks": tasks}

    def suggestions(self, project: str, task: str, filter: str = "suggested", limit: int = 50,
                    max_confidence: float = DEFAULT_MAX_CONFIDENCE,
                    exclude: list[str] | None = None) -> dict[str, Any]:
        """Records of a filter in label-next order, each with its manual label, its
        heuristics' votes and its weak-supervision result (see suggestions.py)."""
        if filter not in FILTERS:
            raise LabelingInvalid(f"unknown filter {filter!r} (use one of {', '.join(FILTERS)})",
                                  project=project, task=task)
        if not 0.0 <= max_confidence <= 1.0:
            raise LabelingInvalid("max_confidence must be within [0, 1]", project=project, task=task)
        evaluated = self._evaluate(project, task)
        results = self._weak_results(project, evaluated)
        by_record = votes_by_record(evaluated["votes"])
        manual = {row["record_id"]: row for row in self.repo.labels(project, task)}
        items = [record_item(r, manual.get(r["id"]), by_record.get(r["id"], {}), results[r["id"]])
                 for r in evaluated["records"]]
        chosen = select(items, filter, limit, max_confidence, set(exclude or ()))
        total = len(select(items, filter, len(items), max_confidence))
        return {"project": project, "task": task, "filter": filter, "total": total, "records": chosen}

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

    # -- training active learners in the background ------------------------------------------
    def start_training(self, project: str, task: str, heuristic: str) -> dict[str, Any]:
        """Embed the task's records (progress reported) and train the active learner on
        the manual labels, in a background job; returns the job to poll with `training_job`."""
        self._task(project, task)
        row = next((h for h in self.repo.heuristics(project, task) if h["name"] == heuristic), None)
        names: dict[str, Any] = dict(project=project, task=task, heuristic=heuristic)
        if row is None:
            raise NotFound("no such heuristic", **names)
        if row["kind"] != ACTIVE_LEARNER:
            raise HeuristicError(f"only active learners are trained; this one is a {row['kind']}", **names)

        def work(progress: JobProgress) -> dict[str, Any]:
            progress.phase("embedding")
            embedded = self.compute_embeddings(project, task, progress)
            progress.phase("training", total=1)
            stats = self.heuristic_statistics(project, task)
            progress(1, 1)
            learner = next(h for h in stats["heuristics"] if h["name"] == heuristic)
            return {"embeddings": embedded, "manual_labels": stats["manual_labels"], "statistics": learner}

        return self.training_jobs.start(names, work)

    def training_job(self, project: str, job_id: str) -> dict[str, Any]:
        self._project(project)
        return self.training_jobs.get(job_id, project)

    # -- what the labeling.enrich node needs ------------------------------------------------
    def enrichment_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        """Everything needed to label records outside this process (see enrichment.py):
        syncs, trains active learners on the current manual labels, grades heuristics."""
        info = self._project(project)
        names = tasks or [t["name"] for t in self.repo.tasks(project)]
        if not names:
            raise LabelingInvalid("the project has no labeling tasks", project=project)
        bundle_tasks = []
        for task in names:
            # Precision only depends on votes on manually labelled records, so the bundle
            # costs O(labelled records), not O(project), on every enrichment run.
            evaluated = self._evaluate(project, task, labelled_only=True)
            spec = evaluated["spec"]
            stats = heuristic_statistics(evaluated["votes"], evaluated["manual"], len(evaluated["records"]),
                                         spec.labels)
            bundle_tasks.append({**spec.to_dict(), "heuristics": evaluated["items"],
                                 "precision": precision_table(stats)})
        return {"project": project, "embedding_model": info["embedding_model"],
                "weak_supervision": info["weak_supervision"], "tasks": bundle_tasks}
