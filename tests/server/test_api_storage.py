"""History hygiene through a real `wirework up` (issue 17 part 6): the server prunes its
run history on its period and at start, and `GET /api/storage` shows the sizes, the
retention in force and the last prune."""

from __future__ import annotations

import uuid

from tests.server_harness import ServerProcess, wait_for_run, wait_until


def _runs(api, wf_id: str) -> list[str]:
    return [run["id"] for run in api.get("/api/runs", params={"workflow_id": wf_id, "limit": 1000}).json()]


def test_the_server_prunes_on_its_period_and_at_start(prefect_api_url, tmp_path):
    home = tmp_path / "home"
    server = ServerProcess(home, prefect_api_url, flows=None,
                           extra_env={"WIREWORK_KEEP_RUNS": "3", "WIREWORK_PRUNE_EVERY_S": "1"}).start()
    try:
        with server.client() as api:
            wf_id = f"pruned-{uuid.uuid4().hex[:8]}"
            assert api.post("/api/workflows", json={"id": wf_id, "nodes": [
                {"id": "a", "type": "python.map", "config": {"code": "def node(record):\n    return record\n"}}]}
            ).status_code == 201
            started = []
            for _ in range(5):
                started.append(api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"])
                assert wait_for_run(api, started[-1])["status"] == "completed"
            # Within a period or two only the newest 3 are left.
            wait_until(lambda: len(_runs(api, wf_id)) == 3, 15, "the pruner to keep 3 runs")
            assert set(_runs(api, wf_id)) == set(started[2:])
            assert api.get(f"/api/runs/{started[0]}").status_code == 404
            # The next period finds nothing more to delete.
            storage = wait_until(lambda: (s := api.get("/api/storage").json())["last_prune"]["runs_deleted"] == 0
                                 and s, 15, "a prune with nothing to delete")
            assert storage["retention"] == {"keep_runs_per_workflow": 3, "keep_days": 30, "prune_every_s": 1}
            assert storage["runs"] == 3 and storage["node_runs"] == 3
            # Each run kept its node's output in run-data/<run id>/ (issue 16): the pruned
            # runs' folders went with their rows, the size counts the three left.
            folders = {p.name for p in (home / "run-data").iterdir()}
            assert folders == set(started[2:])
            assert storage["app_db_bytes"] > 0 and storage["run_data_bytes"] > 0
            assert storage["total_bytes"] == (storage["app_db_bytes"] + storage["app_db_wal_bytes"]
                                              + storage["run_data_bytes"])
            assert api.get("/api/run-data").json() == {"total_bytes": storage["run_data_bytes"], "runs": 3}
            assert api.get(f"/api/runs/{started[-1]}/nodes/a/output").json()["total"] == 1
    finally:
        assert server.stop() == 0
    # Started again keeping 1 run, pruning only at start: pruned before anyone asks.
    server = ServerProcess(home, prefect_api_url, flows=None,
                           extra_env={"WIREWORK_KEEP_RUNS": "1", "WIREWORK_PRUNE_EVERY_S": "0"}).start()
    try:
        with server.client() as api:
            wait_until(lambda: api.get("/api/storage").json()["last_prune"], 15, "the prune at start")
            assert _runs(api, wf_id) == [started[-1]]
            assert api.get("/api/storage").json()["last_prune"]["runs_deleted"] == 2
            assert [p.name for p in (home / "run-data").iterdir()] == [started[-1]]
            # And on request, with nothing left to prune.
            answer = api.post("/api/storage/prune")
            assert answer.status_code == 200 and answer.json()["runs_deleted"] == 0
    finally:
        assert server.stop() == 0
