"""Runs forked from the run host (engine/execution/run_host.py), through a real
`wirework up`: each run is still a process of its own, the launcher's limits hold,
a burst of webhooks runs each exactly once, and a run host that dies is replaced."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

from tests.server_harness import wait_for_run, wait_until

RSS = ("def rss_mb():\n"
       "    for line in open('/proc/self/status'):\n"
       "        if line.startswith('VmRSS:'):\n"
       "            return int(line.split()[1]) // 1024\n")


def create(api, nodes, edges=(), **extra) -> str:
    wf_id = f"proc-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges], **extra}
    assert api.post("/api/workflows", json=doc).status_code == 201, doc
    return wf_id


def py(node_id: str, code: str, type_: str = "python.map") -> dict:
    return {"id": node_id, "type": type_, "config": {"code": code}}


def output(api, run_id: str, node_id: str) -> list[dict]:
    return api.get(f"/api/runs/{run_id}/nodes/{node_id}/output").json()["records"]


def run_now(api, wf: str) -> dict:
    run = wait_for_run(api, api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"])
    assert run["status"] == "completed", run
    return run


def hook_path(api, wf: str) -> str:
    return "/" + api.get(f"/api/workflows/{wf}/webhook").json()["url"].split("/", 3)[3]


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def test_a_run_that_changes_module_globals_or_leaks_memory_leaves_the_next_run_clean(api):
    dirty = create(api, [py("dirty", RSS + (
        "def node(record):\n"
        "    import builtins, json, os\n"
        "    json.wirework_mark = 'left by the previous run'\n"
        "    builtins.WIREWORK_LEAK = bytearray(b'x') * (300 * 1024 * 1024)  # written: resident\n"
        "    return {'id': 'dirty', 'pid': os.getpid(), 'rss_mb': rss_mb()}\n"))])
    clean = create(api, [py("clean", RSS + (
        "def node(record):\n"
        "    import builtins, json, os\n"
        "    return {'id': 'clean', 'pid': os.getpid(), 'rss_mb': rss_mb(),\n"
        "            'marked': hasattr(json, 'wirework_mark'), 'leak': hasattr(builtins, 'WIREWORK_LEAK')}\n"))])
    [left] = output(api, run_now(api, dirty)["id"], "dirty")
    [found] = output(api, run_now(api, clean)["id"], "clean")
    assert left["rss_mb"] >= 300
    assert found["marked"] is False and found["leak"] is False
    assert found["pid"] != left["pid"]
    assert found["rss_mb"] < left["rss_mb"] - 250  # the 300 MB went with the run's process


def test_runs_beyond_a_workflows_own_limit_wait_in_order_without_holding_up_others(api):
    nap = "def node(record):\n    import time\n    time.sleep(0.6)\n    return record\n"
    limited = create(api, [py("nap", nap)], max_concurrent_runs=1)
    other = create(api, [py("quick", "def node(record):\n    return record\n")])
    hook = hook_path(api, limited)
    run_ids = [api.post(hook, json={"n": n}).json()["run_id"] for n in range(4)]
    other_id = api.post(f"/api/workflows/{other}/runs", json={}).json()["run_id"]
    runs = [wait_for_run(api, run_id, 120) for run_id in run_ids]
    assert [r["status"] for r in runs] == ["completed"] * 4
    spans = [(_ts(r["nodes"][0]["started_at"]), _ts(r["nodes"][0]["ended_at"])) for r in runs]
    for (_, ended), (started, _) in zip(spans, spans[1:]):
        assert started >= ended  # one at a time, in the order they came
    quick = wait_for_run(api, other_id)
    assert quick["status"] == "completed"
    assert _ts(quick["nodes"][0]["started_at"]) < spans[-1][0]  # it did not wait behind the queue


def test_a_burst_of_1000_webhooks_runs_each_exactly_once(tmp_path):
    # Its own `wirework up` with the Prefect server it starts (SQLite write transactions
    # IMMEDIATE, engine/cli/prefect_server.py): the shared test Prefect is Prefect's own
    # harness, whose deferred transactions answer a burst with 503s and client back-off.
    from tests.server_harness import ServerProcess

    server = ServerProcess(tmp_path / "home", prefect_api_url=None, flows=None).start(timeout_s=180)
    try:
        with server.client() as api:
            _burst_runs_each_exactly_once(api)
    finally:
        assert server.stop() == 0


def _burst_runs_each_exactly_once(api) -> None:
    wf = create(api, [py("echo", "def node(record):\n    return {'id': str(record['payload']['seq'])}\n")])
    hook, burst = hook_path(api, wf), 1000  # issue 15: the queue survives a burst of 1,000 webhooks
    accepted: list[str] = []
    lock = threading.Lock()

    def post(seqs: range) -> None:
        import httpx

        with httpx.Client(base_url=str(api.base_url), timeout=60) as client:
            for seq in seqs:
                response = client.post(hook, json={"seq": seq})
                assert response.status_code == 202, response.text
                with lock:
                    accepted.append(response.json()["run_id"])

    threads = [threading.Thread(target=post, args=(range(k, burst, 8),)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(accepted)) == burst

    def settled():
        runs = api.get("/api/runs", params={"workflow_id": wf, "limit": 1000}).json()
        return runs if sum(r["status"] == "completed" for r in runs) == burst else None

    runs = wait_until(settled, 600, f"{burst} runs to complete", interval=1.0)
    assert len(runs) == burst and {r["id"] for r in runs} == set(accepted)
    assert sorted(r["trigger"]["payload"]["seq"] for r in runs) == list(range(burst))


def _python_host_pid(api) -> int:
    """The run host's Python process (below the sandbox's bwrap processes, if any)."""
    detail = api.get("/api/health").json()["components"]["run_launcher"]["detail"]["run_processes"]
    root = detail["host_pid"]
    from engine.execution.process_tree import descendants

    for pid in [root, *descendants(root)]:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and b"python" in Path(cmdline[0].decode()).name.encode() and b"engine.execution.run_host" in cmdline:
            return pid
    raise AssertionError(f"no run host process below {root}")


def test_a_run_host_that_dies_is_replaced_and_its_run_is_marked_crashed(api):
    sleeper = create(api, [py("sleep", "def node(record):\n    import time\n    time.sleep(60)\n    return record\n")])
    run_id = api.post(f"/api/workflows/{sleeper}/runs", json={}).json()["run_id"]
    wait_until(lambda: api.get(f"/api/runs/{run_id}").json()["nodes"][0]["status"] == "running", 60, "the node to run")
    host = _python_host_pid(api)
    os.kill(host, signal.SIGKILL)
    started = time.monotonic()
    crashed = wait_for_run(api, run_id, 30)
    assert crashed["status"] == "crashed" and time.monotonic() - started < 15
    wait_until(lambda: api.get("/api/health").json()["components"]["run_launcher"]["detail"]
               ["run_processes"]["host_ready"], 60, "a new run host")
    assert _python_host_pid(api) != host
    quick = create(api, [py("quick", "def node(record):\n    return record\n")])
    run_now(api, quick)
