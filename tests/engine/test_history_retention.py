"""History hygiene (issue 17 part 6) on a real app.duckdb: the pruner keeps each workflow's
last N runs and the runs of the last D days, never an active run nor a workflow's newest
run, deletes node runs and run data folders with their runs, and the file stops growing."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest

from engine.config.paths import run_data_dir
from engine.model.runs import NodeResult, RunInfo, utcnow
from engine.model.statuses import NodeStatus, RunStatus
from engine.server.db.run_retention import history_size
from engine.server.services.history_pruner import HistoryPruner, RetentionPolicy

NODES = ["fetch", "label", "post"]


def _add_run(db, workflow_id: str, started_at, status=RunStatus.COMPLETED, log_bytes: int = 200) -> str:
    """A run as the server records one: queued, its nodes' results (sample, logs), its end."""
    run_id = str(uuid.uuid4())
    db.queue_run(RunInfo(run_id=run_id, workflow_id=workflow_id, workflow_version=1,
                         trigger={"id": run_id, "trigger": "webhook", "payload": None, "time": started_at.isoformat()},
                         node_ids=NODES, started_at=started_at))
    if status in (RunStatus.QUEUED,):
        return run_id
    db.run_started(RunInfo(run_id=run_id, workflow_id=workflow_id, workflow_version=1, trigger={}, node_ids=NODES,
                           started_at=started_at))
    if status == RunStatus.RUNNING:
        return run_id
    for node_id in NODES:
        # Logs that do not compress away (hex of random bytes), so file sizes mean something.
        db.node_finished(NodeResult(run_id=run_id, node_id=node_id, status=NodeStatus.COMPLETED, attempts=1,
                                    started_at=started_at, ended_at=started_at + timedelta(seconds=1),
                                    records_in=5, records_out=5, sample=[{"id": "r1", "text": "x" * 50}],
                                    logs=os.urandom(log_bytes // 2).hex()))
    db.run_finished(run_id, status, None, started_at + timedelta(seconds=2))
    return run_id


def _run_ids(db, workflow_id: str) -> set[str]:
    return {run["id"] for run in db.list_runs(workflow_id=workflow_id, limit=10_000)}


@pytest.fixture
def pruner(app_db, wirework_home):
    return HistoryPruner(app_db, wirework_home, RetentionPolicy(keep_runs_per_workflow=20, keep_days=30))


def test_the_last_n_runs_of_each_workflow_are_kept(app_db, pruner):
    now = utcnow()
    busy = [_add_run(app_db, "busy", now - timedelta(minutes=300 - i)) for i in range(30)]  # oldest first
    quiet = [_add_run(app_db, "quiet", now - timedelta(minutes=10 - i)) for i in range(5)]
    report = pruner.prune(now)
    assert report.runs_deleted == 10 and report.node_runs_deleted == 10 * len(NODES)
    assert _run_ids(app_db, "busy") == set(busy[10:])  # the newest 20
    assert _run_ids(app_db, "quiet") == set(quiet)
    assert all(len(app_db.get_run(run_id)["nodes"]) == len(NODES) for run_id in busy[10:])
    (orphans,), = app_db._execute("SELECT count(*) FROM node_runs WHERE run_id NOT IN (SELECT id FROM runs)")
    assert orphans == 0 and history_size(app_db).node_runs == 25 * len(NODES)
    assert pruner.prune(now).runs_deleted == 0  # a second pass finds nothing more


def test_runs_older_than_d_days_go_but_each_workflows_newest_stays(app_db, pruner):
    now = utcnow()
    old = [_add_run(app_db, "monthly", now - timedelta(days=days)) for days in (90, 60, 45)]
    recent = _add_run(app_db, "weekly", now - timedelta(days=2))
    stale = _add_run(app_db, "weekly", now - timedelta(days=31))
    pruner.prune(now)
    assert _run_ids(app_db, "monthly") == {old[-1]}  # past 30 days, but its workflow's last run
    assert _run_ids(app_db, "weekly") == {recent}
    assert app_db.get_run(stale) is None


def test_an_active_run_is_never_pruned(app_db, wirework_home):
    now = utcnow()
    pruner = HistoryPruner(app_db, wirework_home, RetentionPolicy(keep_runs_per_workflow=2, keep_days=1))
    queued = _add_run(app_db, "flow", now - timedelta(days=10), status=RunStatus.QUEUED)
    running = _add_run(app_db, "flow", now - timedelta(days=9), status=RunStatus.RUNNING)
    finished = [_add_run(app_db, "flow", now - timedelta(days=8 - i)) for i in range(4)]
    app_db.mark_cancelling(running)
    pruner.prune(now)
    # Both active runs are older than a day and beyond the last 2; they stay, with their node runs.
    assert _run_ids(app_db, "flow") == {queued, running, finished[-1]}
    assert app_db.get_run(running)["status"] == RunStatus.CANCELLING
    assert len(app_db.get_run(queued)["nodes"]) == len(NODES)


def test_a_pruned_runs_data_folder_goes_with_it(app_db, wirework_home):
    now = utcnow()
    pruner = HistoryPruner(app_db, wirework_home, RetentionPolicy(keep_runs_per_workflow=1, keep_days=0))
    gone, kept = (_add_run(app_db, "flow", now - timedelta(minutes=m)) for m in (2, 1))
    for run_id in (gone, kept):
        folder = run_data_dir(wirework_home, run_id) / "fetch"
        folder.mkdir(parents=True)
        (folder / "output.arrow").write_bytes(b"\0" * 4096)
    assert pruner.run_data_bytes() == 2 * 4096
    report = pruner.prune(now)
    assert report.runs_deleted == 1 and report.run_data_folders_deleted == 1
    assert not run_data_dir(wirework_home, gone).exists()
    assert (run_data_dir(wirework_home, kept) / "fetch" / "output.arrow").is_file()
    assert pruner.run_data_bytes() == 4096


def test_the_database_file_stops_growing_once_runs_are_pruned(app_db, wirework_home):
    pruner = HistoryPruner(app_db, wirework_home, RetentionPolicy(keep_runs_per_workflow=20, keep_days=0))
    sizes = []
    start = utcnow() - timedelta(days=1)
    for round_ in range(5):  # 5 x 25 runs with 3 x 20 KB of logs each, 20 kept
        for i in range(25):
            _add_run(app_db, "hourly", start + timedelta(minutes=round_ * 25 + i), log_bytes=20_000)
        pruner.prune()
        size = history_size(app_db)  # the prune checkpointed: the WAL is in the file
        assert size.runs == 20 and size.wal_bytes < 100_000, size
        sizes.append(size.file_bytes)
    # Five times the data was written; the file stays where the second round left it (the
    # blocks a prune frees are reused by the next writes).
    assert max(sizes[2:]) <= sizes[1] * 1.15, sizes
    unpruned = HistoryPruner(app_db, wirework_home, RetentionPolicy(keep_runs_per_workflow=0, keep_days=0))
    for i in range(100):  # the same writes without a limit do grow it
        _add_run(app_db, "hourly", start + timedelta(minutes=200 + i), log_bytes=20_000)
    assert unpruned.prune().runs_deleted == 0
    app_db.checkpoint()
    assert history_size(app_db).file_bytes > sizes[-1] * 2, (sizes, history_size(app_db))


@pytest.mark.parametrize("env, message", [
    ({"WIREWORK_KEEP_RUNS": "lots"}, "WIREWORK_KEEP_RUNS='lots'"),
    ({"WIREWORK_KEEP_RUN_DAYS": "-1"}, "WIREWORK_KEEP_RUN_DAYS='-1'"),
])
def test_a_bad_retention_setting_is_refused_naming_it(env, message):
    with pytest.raises(ValueError, match=message):
        RetentionPolicy.from_env(env)


def test_retention_defaults_and_settings_from_the_environment():
    assert RetentionPolicy.from_env({}) == RetentionPolicy(keep_runs_per_workflow=200, keep_days=30, prune_every_s=3600)
    assert RetentionPolicy.from_env({"WIREWORK_KEEP_RUNS": "50", "WIREWORK_KEEP_RUN_DAYS": "0",
                                     "WIREWORK_PRUNE_EVERY_S": "60"}) == RetentionPolicy(50, 0, 60)


def test_prefects_vacuum_follows_the_age_rule():
    from engine.server.services.history_pruner import prefect_vacuum_env

    assert prefect_vacuum_env(RetentionPolicy(keep_days=30)) == {
        "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
        "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(30 * 86400)}
    assert prefect_vacuum_env(RetentionPolicy(keep_days=0.01))["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"] == "3601"
    assert prefect_vacuum_env(RetentionPolicy(keep_days=0)) == {}  # kept at any age: Prefect's are too
