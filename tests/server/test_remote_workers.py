"""Remote workers (issue 20): a real `wirework up` with WIREWORK_LOCAL_WORKERS=0 (its own
Prefect server) and real `wirework worker` processes in data folders of their own, given
only the API's URL and the worker token — the way a worker on another machine runs.
One server for the module; each test starts the workers it needs."""

from __future__ import annotations

import socket
import time
import uuid

import httpx
import pytest

from tests.server_harness import ServerProcess, wait_for_run, wait_until
from tests.worker_harness import WorkerProcess, processes_mentioning, worker_token

SLEEPY_MAP = "def node(record):\n    import time\n    time.sleep(60)\n    return record\n"
GREETING_MAP = ("def node(record):\n    return {'id': 'greeting', 'text': secrets['greeting'] + ' from ' + "
                "str(record.get('trigger'))}\n")


@pytest.fixture(scope="module")
def pool_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("pool-server")
    # The default heartbeat timeout, said explicitly: shorter ones risk settling a live
    # worker's run on a machine as busy as the test suite's.
    server = ServerProcess(home, None, extra_env={"WIREWORK_LOCAL_WORKERS": "0",
                                                  "WIREWORK_WORKER_TIMEOUT_S": "5"}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(pool_server):
    with pool_server.client() as client:
        yield client


def _create(api: httpx.Client, nodes: list[dict], edges: list[tuple[str, str]] = ()) -> str:
    wf_id = f"remote-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges]}
    response = api.post("/api/workflows", json=doc)
    assert response.status_code == 201, response.text
    return wf_id


def test_the_worker_token_is_no_admin_token(pool_server, api):
    token = worker_token(pool_server.home)
    assert token != pool_server.token
    with httpx.Client(base_url=pool_server.url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as worker:
        for method, path in [("GET", "/api/workflows"), ("GET", "/api/runs"), ("GET", "/api/secrets"),
                             ("POST", "/api/workflows/hello/runs"), ("GET", "/api/stores"),
                             ("GET", "/api/internal/secrets/greeting"), ("GET", "/api/storage")]:
            response = worker.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 403, (method, path, response.text)
        # What it is for: heartbeats (and claims, below) answer.
        beat = worker.post("/api/workers/heartbeat", json={"worker": {"name": "probe", "host": "h", "pid": 1}})
        assert beat.status_code == 200 and beat.json() == {"cancel": [], "kill": []}
    # The API token is no worker credential, and no token reaches neither the routes nor Prefect.
    claim = {"flow_run_id": str(uuid.uuid4()), "worker": {"name": "probe", "host": "h", "pid": 1}}
    assert api.post("/api/workers/claim", json=claim).status_code == 403
    with pool_server.anonymous_client() as anonymous:
        assert anonymous.post("/api/workers/claim", json=claim).status_code == 401
        assert anonymous.get("/api/prefect/work_pools/wirework").status_code == 401


def test_runs_wait_for_a_worker_and_a_remote_worker_runs_them_through_the_api(pool_server, api, tmp_path):
    assert api.put("/api/secrets/greeting", json={"value": "hello"}).status_code == 200
    wf_id = _create(api, [{"id": "greet", "type": "python.map", "config": {"code": GREETING_MAP,
                                                                           "secrets": ["greeting"]}},
                          {"id": "save", "type": "store.write", "config": {"store": "remote-out"}}],
                    [("greet", "save")])
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    # WIREWORK_LOCAL_WORKERS=0: the server forks nothing — no run host of its own — and the
    # run waits for a worker.
    assert processes_mentioning("engine.execution.run_host", str(pool_server.home)) == []
    assert api.get(f"/api/runs/{run_id}").json()["status"] == "queued"

    worker = WorkerProcess(tmp_path / "remote-machine", pool_server.url, worker_token(pool_server.home),
                           name="remote-1").start()
    try:
        run = wait_for_run(api, run_id, timeout_s=120)
        assert run["status"] == "completed", (run, worker.log()[-3000:])
        assert run["worker"] == {"name": "remote-1", "host": socket.gethostname(), "pid": worker.pid}
        # Its secret and store were reached through the API: the record is in the server's store.
        records = api.get("/api/stores/remote-out/records").json()["records"]
        assert [r["data"]["text"] if "data" in r else r["text"] for r in records] == ["hello from manual"]
        # Nothing of the server's is in the worker's folder.
        server_files = {"app.duckdb", "stores.duckdb", "api-token", "worker-token", "secrets.key"}
        assert not server_files & {p.name for p in worker.home.iterdir()}
        assert "hello" not in worker.log()  # the secret's value is never logged

        # Cancel reaches the remote run with the worker's next heartbeat.
        sleepy = _create(api, [{"id": "sleep", "type": "python.map", "config": {"code": SLEEPY_MAP}}])
        sleepy_run = api.post(f"/api/workflows/{sleepy}/runs", json={}).json()["run_id"]
        wait_until(lambda: api.get(f"/api/runs/{sleepy_run}").json()["nodes"][0]["status"] == "running", 120,
                   "the sleeping node to run on the worker")
        assert api.post(f"/api/runs/{sleepy_run}/cancel").status_code == 200
        assert wait_for_run(api, sleepy_run, timeout_s=30)["status"] == "cancelled"
    finally:
        worker.stop()


def test_a_worker_killed_mid_run_gets_its_run_crashed_within_seconds(pool_server, api, tmp_path):
    wf_id = _create(api, [{"id": "sleep", "type": "python.map", "config": {"code": SLEEPY_MAP}}])
    worker = WorkerProcess(tmp_path / "doomed-machine", pool_server.url, worker_token(pool_server.home),
                           name="doomed").start()
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    wait_until(lambda: api.get(f"/api/runs/{run_id}").json()["nodes"][0]["status"] == "running", 120,
               "the node to run on the worker")
    assert api.get(f"/api/runs/{run_id}").json()["worker"]["name"] == "doomed"
    worker.kill()
    killed = time.monotonic()
    run = wait_for_run(api, run_id, timeout_s=30)
    settled_after_s = time.monotonic() - killed
    assert run["status"] == "crashed", run
    assert settled_after_s < 15, settled_after_s  # the heartbeat timeout (5 s) plus a reap
    # The run's process died with its worker (its run host's sandbox hides the worker's folder).
    wait_until(lambda: not processes_mentioning(str(worker.home)), 10, "the killed worker's run processes to end")
