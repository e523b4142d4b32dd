"""Prefect on PostgreSQL (issue 20): a real `wirework up` whose Prefect server runs on a
throwaway cluster of Debian's postgresql (WIREWORK_PREFECT_DATABASE_URL, what `--prefect-db`
sets), with WIREWORK_LOCAL_WORKERS=0 and two `wirework worker` processes in folders of their
own sharing a burst of runs: both take some, and every run completes exactly once (one
flow run each in Prefect's PostgreSQL database, run once)."""

from __future__ import annotations

import uuid

import pytest

from tests.postgres_harness import PostgresCluster
from tests.server_harness import ServerProcess, wait_for_run, wait_until
from tests.worker_harness import WorkerProcess, worker_token

RUNS = 10
# Long enough that a worker with 2 slots cannot take the whole burst before the other polls.
NAPPING_MAP = "def node(record):\n    import time\n    time.sleep(0.5)\n    return record\n"


@pytest.fixture(scope="module")
def postgres():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def test_two_workers_share_the_runs_of_a_server_whose_prefect_is_on_postgresql(postgres, tmp_path):
    home = tmp_path / "server"
    server = ServerProcess(home, None, flows=None, extra_env={
        "WIREWORK_LOCAL_WORKERS": "0", "WIREWORK_PREFECT_DATABASE_URL": postgres.url}).start(timeout_s=180)
    workers: list[WorkerProcess] = []
    try:
        token = worker_token(home)
        workers = [WorkerProcess(tmp_path / f"machine-{name}", server.url, token, name=name).start()
                   for name in ("pg-a", "pg-b")]
        with server.client() as api:
            wf_id = f"pg-{uuid.uuid4().hex[:8]}"
            doc = {"id": wf_id, "nodes": [{"id": "nap", "type": "python.map", "config": {"code": NAPPING_MAP}}],
                   "edges": []}
            assert api.post("/api/workflows", json=doc).status_code == 201
            run_ids = [api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"] for _ in range(RUNS)]
            runs = [wait_for_run(api, run_id, timeout_s=180) for run_id in run_ids]
        assert [r["status"] for r in runs] == ["completed"] * RUNS, [(r["status"], r["error"]) for r in runs]
        by_worker = {name: sum(1 for r in runs if r["worker"]["name"] == name) for name in ("pg-a", "pg-b")}
        assert by_worker["pg-a"] > 0 and by_worker["pg-b"] > 0 and sum(by_worker.values()) == RUNS, by_worker

        # Prefect kept them in PostgreSQL (no SQLite of its own in the data folder): one flow
        # run of the pool per wirework run, completed, run once.
        assert not (home / "prefect" / "prefect.db").exists()
        def pool_runs() -> list[dict]:
            return postgres.query("SELECT id::text AS id, state_type::text AS state, run_count FROM flow_run "
                                  "WHERE work_queue_id IS NOT NULL")

        # A run reports its end to wirework just before its flow run's final state reaches Prefect.
        wait_until(lambda: all(row["state"] == "COMPLETED" for row in pool_runs()), 30,
                   "Prefect to have every flow run of the pool completed")
        rows = pool_runs()
        assert sorted(row["id"] for row in rows) == sorted(r["prefect_flow_run_id"] for r in runs)
        assert [row for row in rows if (row["state"], row["run_count"]) != ("COMPLETED", 1)] == []
        # Each run's node is a task run Prefect recorded from the events its run process sent
        # through the API's websocket proxy (the run's own Prefect token, not the worker's).
        ids = ", ".join(f"'{r['prefect_flow_run_id']}'" for r in runs)
        wait_until(lambda: postgres.query(f"SELECT count(*) AS n FROM task_run WHERE state_type = 'COMPLETED' "
                                          f"AND flow_run_id IN ({ids})")[0]["n"] == RUNS, 30,
                   "Prefect to record each run's task run")
    finally:
        for worker in workers:
            worker.stop()
        server.stop()
