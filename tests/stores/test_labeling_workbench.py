"""What the labeling UI asks of the service: sync status, the label-next order and its
filters, previews of unsaved labeling functions (in a child process), and background
training jobs of active learners with progress (real shipped model on CPU)."""

from __future__ import annotations

import time

import pytest

from stores.labeling import HeuristicError, LabelingError, NotFound
from stores.labeling.suggestions import matches_filter, priority
from tests.labeling_fixtures import embedder, service, store_client  # noqa: F401  (fixtures)

POS, NEU, NEG = "rather positive", "neutral", "rather negative"
LABELS = [POS, NEU, NEG]
HEADLINES = {
    "r1": "Acme shares jump after profit beats estimates",
    "r2": "Acme shares slump after quarterly loss",
    "r3": "Acme to report results on Monday",
    "r4": "Acme shares jump despite lawsuit",
    "r5": "Quarterly update from Acme",
    "r6": "Globex shares jump on new contract",
}


def make_project(service, store_client, name="news"):
    store_client.create_store("headlines")
    store_client.upsert("headlines", [{"id": k, "headline": v} for k, v in HEADLINES.items()])
    service.create_project(name, "headlines")
    service.create_task(name, "sentiment", LABELS, ["headline"])
    return name


def add_word_heuristics(service, project):
    service.set_lookup_list(project, "up", ["jump"])
    service.set_lookup_list(project, "down", ["lawsuit", "slump"])
    service.add_lookup_heuristic(project, "sentiment", "up-words", "up", POS)
    service.add_lookup_heuristic(project, "sentiment", "down-words", "down", NEG)


def test_status_counts_records_labels_and_embeddings(service, store_client, embedder):
    project = make_project(service, store_client)
    service.set_label(project, "sentiment", "r1", POS, "ann")
    assert service.status(project)["tasks"] == [{"task": "sentiment", "labeled": 1, "unlabeled": 5, "embedded": 0,
                                                 "text_fields": [{"field": "headline", "missing": 0, "empty": 0}],
                                                 "warnings": []}]
    service.compute_embeddings(project)
    store_client.upsert("headlines", [{"id": "r7", "headline": "Initech opens a plant"},
                                      {"id": "r2", "headline": "Acme shares slump again"}])
    status = service.status(project)
    # r7 is new and r2's text changed: neither has a current embedding
    assert status["records"] == 7 and status["tasks"][0]["embedded"] == 5
    assert status["store"] == "headlines"


def test_suggestions_put_disagreements_first_then_least_confident(service, store_client):
    project = make_project(service, store_client)
    add_word_heuristics(service, project)
    service.set_label(project, "sentiment", "r2", NEG, "ann")
    result = service.suggestions(project, "sentiment", "suggested", limit=10)
    ids = [item["id"] for item in result["records"]]
    # r4 ("jump despite lawsuit") has votes for two labels; r2 is labelled already
    assert ids[0] == "r4" and "r2" not in ids and result["total"] == 5
    assert result["records"][0]["reason"] == "heuristics disagree"
    assert result["records"][0]["votes"] == {"down-words": {"label": NEG, "confidence": 1.0},
                                             "up-words": {"label": POS, "confidence": 1.0}}
    # r3 and r5 have no votes (least confident), then r1/r6 with a weak label
    assert ids[1:3] == ["r3", "r5"] and set(ids[3:]) == {"r1", "r6"}
    assert result["records"][3]["weak"]["prediction"] == POS


def test_suggestion_filters(service, store_client):
    project = make_project(service, store_client)
    add_word_heuristics(service, project)
    service.set_label(project, "sentiment", "r1", POS, "ann")
    ids = lambda name, **kw: sorted(i["id"] for i in service.suggestions(project, "sentiment", name, **kw)["records"])
    assert ids("disagreement") == ["r4"]
    assert ids("unlabeled") == ["r2", "r3", "r4", "r5", "r6"]
    assert ids("all") == ["r1", "r2", "r3", "r4", "r5", "r6"]
    # r2: one "down" vote at default precision 0.8 → sigmoid(7 · 0.8 − 3) ≈ 0.93;
    # r4: "up" (precision 1.0, graded on r1) beats "down" (0.8) by 0.2 → sigmoid(1.4 − 3) ≈ 0.17;
    # r6: one "up" vote at precision 1.0 → sigmoid(7 − 3) ≈ 0.98
    assert ids("low_confidence", max_confidence=0.95) == ["r2", "r4"]
    assert ids("low_confidence", max_confidence=0.5) == ["r4"]
    assert ids("unlabeled", exclude=["r2", "r3"]) == ["r4", "r5", "r6"]
    with pytest.raises(LabelingError, match="unknown filter"):
        service.suggestions(project, "sentiment", "nonsense")


def test_filter_and_priority_rules_on_single_items():
    item = {"id": "a", "label": None, "votes": {}, "weak": {"prediction": None, "confidence": None}}
    assert matches_filter(item, "unlabeled") and not matches_filter(item, "low_confidence")
    labelled = {**item, "label": POS}
    assert not matches_filter(labelled, "unlabeled") and matches_filter(labelled, "all")
    confident = {**item, "weak": {"prediction": POS, "confidence": 0.99}}
    assert priority(item) < priority(confident) < priority(labelled)


def test_preview_runs_unsaved_code_in_a_child_process_on_a_sample(service, store_client):
    project = make_project(service, store_client)
    service.set_label(project, "sentiment", "r6", POS, "ann")
    service.set_label(project, "sentiment", "r2", POS, "bob")  # a wrong manual label, to see a miss
    code = ("import os\n\ndef lf(record):\n    if 'jump' in record['headline']:\n        return 'rather positive'\n"
            "    if 'slump' in record['headline']:\n        return 'rather negative'\n"
            "    record['pid'] = os.getpid()\n")
    preview = service.preview_labeling_function(project, "sentiment", code, sample_size=4)
    rows = {row["id"]: row for row in preview["records"]}
    assert preview["sample_size"] == 4 and set(rows) >= {"r2", "r6"}  # labelled records come first
    assert rows["r6"]["correct"] is True and rows["r2"]["correct"] is False
    assert preview["graded"] == 2 and preview["correct"] == 1
    assert preview["hits"] == sum(1 for row in preview["records"] if row["vote"])
    assert service.list_heuristics(project, "sentiment") == []  # nothing saved


def test_preview_errors_name_the_heuristic_line_and_record(service, store_client):
    project = make_project(service, store_client)
    with pytest.raises(HeuristicError) as syntax:
        service.preview_labeling_function(project, "sentiment", "def lf(record):\n    return (\n", name="draft")
    assert syntax.value.heuristic == "draft"
    with pytest.raises(HeuristicError) as runtime:
        service.preview_labeling_function(project, "sentiment", "def lf(record):\n    return record['missing']\n")
    assert runtime.value.line == 2 and runtime.value.record_id == "r1"


def test_preview_of_a_stuck_function_is_stopped(tmp_path, store_client):
    from stores.labeling import LabelingService

    svc = LabelingService(tmp_path / "slow.duckdb", store_client, user_code_timeout_s=3)
    try:
        project = make_project(svc, store_client)
        with pytest.raises(HeuristicError, match="did not finish within 3 s"):
            svc.preview_labeling_function(project, "sentiment", "def lf(record):\n    while True:\n        pass\n")
    finally:
        svc.close()


def wait_for_job(service, project, job_id, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        job = service.training_job(project, job_id)
        seen.append((job["phase"], job["done"], job["total"]))
        if job["state"] != "running":
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"training job {job_id} still running: {seen[-1]}")


def test_training_job_embeds_with_progress_then_trains(service, store_client, embedder):
    project = make_project(service, store_client)
    for record_id, label in [("r1", POS), ("r4", POS), ("r6", POS), ("r2", NEG), ("r3", NEU), ("r5", NEU)]:
        service.set_label(project, "sentiment", record_id, label, "ann")
    service.add_active_learner(project, "sentiment", "learner", min_confidence=0.0)
    job = service.start_training(project, "sentiment", "learner")
    assert job["state"] == "running" and job["project"] == project and job["heuristic"] == "learner"
    job, seen = wait_for_job(service, project, job["id"])
    assert job["state"] == "completed", job
    assert job["result"]["embeddings"] == {"total": 6, "cached": 0, "computed": 6}
    assert job["result"]["statistics"]["coverage"] == 6  # min confidence 0: it votes everywhere
    assert ("done", 1, 1) in seen
    assert service.status(project)["tasks"][0]["embedded"] == 6


def test_training_refuses_what_is_not_an_active_learner(service, store_client):
    project = make_project(service, store_client)
    add_word_heuristics(service, project)
    with pytest.raises(HeuristicError, match="only active learners"):
        service.start_training(project, "sentiment", "up-words")
    with pytest.raises(NotFound):
        service.start_training(project, "sentiment", "missing")
    with pytest.raises(NotFound, match="no training job"):
        service.training_job(project, "nope")


def test_a_failing_training_job_reports_its_error(service, store_client):
    project = make_project(service, store_client)
    service.add_active_learner(project, "sentiment", "learner")
    service._embedder_factory = lambda model: (_ for _ in ()).throw(OSError("no model here"))
    job, _ = wait_for_job(service, project, service.start_training(project, "sentiment", "learner")["id"])
    assert job["state"] == "failed" and "no model here" in job["error"]


def test_weak_supervision_reports_agreement_with_manual_labels(service, store_client):
    project = make_project(service, store_client)
    add_word_heuristics(service, project)
    service.set_label(project, "sentiment", "r1", POS, "ann")
    service.set_label(project, "sentiment", "r6", NEG, "ann")  # the "up" lookup (precision 0.5) says positive
    service.set_label(project, "sentiment", "r3", NEU, "ann")  # no weak label: not compared
    agreement = service.weak_supervision(project, "sentiment")["agreement"]
    assert agreement == {"manual_labels": 3, "compared": 2, "agreed": 1, "rate": 0.5}


def test_a_job_reports_its_phase_and_progress_while_it_runs():
    import threading

    from stores.labeling.training_jobs import TrainingJobs

    jobs, release = TrainingJobs(), threading.Event()

    def work(progress):
        progress.phase("embedding")
        progress(128, 360)
        release.wait(10)
        return {"ok": True}

    job = jobs.start({"project": "news", "task": "sentiment", "heuristic": "learner"}, work)
    deadline = time.monotonic() + 10
    while jobs.get(job["id"])["done"] != 128 and time.monotonic() < deadline:
        time.sleep(0.01)
    running = jobs.get(job["id"])
    assert (running["state"], running["phase"], running["done"], running["total"]) == ("running", "embedding", 128, 360)
    release.set()
    while jobs.get(job["id"])["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    finished = jobs.get(job["id"])
    assert finished["state"] == "completed" and finished["result"] == {"ok": True} and finished["finished_at"]
    with pytest.raises(NotFound):
        jobs.get(job["id"], project="another-project")
