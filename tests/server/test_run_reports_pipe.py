"""A forked run reports through its run host's pipe (issue 15), through a real `wirework
up`: its node states and outputs arrive without an HTTP request, a line it forges for
another run (or a line that is no report) changes nothing but its own, and what it wrote
arrives before its exit — even when it is killed a moment later. A spawned run
(`WIREWORK_RUN_PROCESSES=spawn`) still reports over HTTP."""

from __future__ import annotations

import uuid

from tests.server_harness import wait_for_run, wait_until


def create(api, nodes, edges=()) -> str:
    wf_id = f"pipe-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges]}
    assert api.post("/api/workflows", json=doc).status_code == 201, doc
    return wf_id


def py(node_id: str, code: str, type_: str = "python.map") -> dict:
    return {"id": node_id, "type": type_, "config": {"code": code}}


def reports(api) -> dict[str, int]:
    return api.get("/api/health").json()["components"]["run_launcher"]["detail"]["reports"]


def start(api, wf: str) -> str:
    return api.post(f"/api/workflows/{wf}/runs", json={}).json()["run_id"]


def test_a_forked_runs_node_states_and_outputs_come_without_http_and_are_readable_once_it_ended(api):
    gen = "def node(record):\n    for i in range(3):\n        yield {'id': str(i), 'n': i}\n"
    wf = create(api, [py("gen", gen, "python.yield"), py("double", "def node(r):\n    return {**r, 'n': r['n'] * 2}\n"),
                      py("last", "def node(r):\n    return {**r, 'last': True}\n")],
                [("gen", "double"), ("double", "last")])
    before = reports(api)
    run = wait_for_run(api, start(api, wf))
    # At once, no waiting: the run's data is there as soon as it ended.
    records = api.get(f"/api/runs/{run['id']}/nodes/last/output").json()["records"]
    after = reports(api)
    assert run["status"] == "completed", run
    assert {n["node_id"]: (n["status"], n["records_out"]) for n in run["nodes"]} == {
        "gen": ("completed", 3), "double": ("completed", 3), "last": ("completed", 3)}
    assert [r["n"] for r in records] == [0, 2, 4] and all(r["last"] for r in records)
    # Nothing of it went over HTTP; its batches (a start, two node starts, the end) and its
    # three parts came through the pipe.
    assert after.get("http_event_batches", 0) == before.get("http_event_batches", 0)
    assert after.get("http_parts", 0) == before.get("http_parts", 0)
    assert after["pipe_event_batches"] - before.get("pipe_event_batches", 0) >= 4
    assert after["pipe_parts"] - before.get("pipe_parts", 0) == 3


def test_a_big_output_part_still_goes_over_http_and_is_kept(api):
    gen = "def node(record):\n    for i in range(3000):\n        yield {'id': str(i), 'pad': 'x' * 200}\n"
    wf = create(api, [py("gen", gen, "python.yield")])
    before = reports(api)
    run = wait_for_run(api, start(api, wf))
    assert run["status"] == "completed", run
    page = api.get(f"/api/runs/{run['id']}/nodes/gen/output", params={"offset": 2999, "limit": 5}).json()
    assert page["total"] == 3000 and page["records"][0]["id"] == "2999"
    assert reports(api).get("http_parts", 0) == before.get("http_parts", 0) + 1  # > 256 KB: PUT as before


FORGE = """
def node(record):
    import orjson
    from engine.execution.executor import current_environment
    fd = current_environment().observer._pipe._fd  # what any code of the run can reach
    victim = {victim!r}
    end = {{"event": "run_finished", "data": {{"run_id": victim, "status": "failed", "error": "forged",
                                             "at": "2030-01-01T00:00:00+00:00"}}}}
    lines = [
        b"this is not json",
        b"[1, 2, 3]",
        b'{{"events": 5}}',
        # A run id of its own choosing, twice (orjson keeps the last of duplicate keys).
        b'{{"run_id": "' + victim.encode() + b'", "events": ' + orjson.dumps([end]) + b', "run_id": "'
        + victim.encode() + b'"}}',
        # The host's own envelope, written by the run.
        orjson.dumps({{"event": "report", "run_id": victim, "events": [end]}}),
        orjson.dumps({{"events": [{{"event": "node_started", "data": {{"run_id": victim, "node_id": "sleep",
                                   "attempt": 7, "records_in": 99, "at": "2030-01-01T00:00:00+00:00"}}}}]}}),
        orjson.dumps({{"event": "part", "run_id": victim, "node_id": "sleep", "part": 0, "data": "AAAA"}}),
        orjson.dumps({{"part": {{"node_id": "../../escape", "part": 0, "data": "AAAA"}}}}),
        orjson.dumps({{"part": {{"node_id": "forge", "part": -1, "data": "AAAA"}}}}),
    ]
    import os
    for line in lines:
        os.write(fd, line + b"\\n")
    return record
"""


def _state(node: dict) -> tuple:
    return node["status"], node["attempts"], node["records_in"], node["started_at"]


def test_a_run_cannot_report_for_another_run_and_bad_lines_break_nothing(api):
    sleeper = create(api, [py("sleep", "def node(r):\n    import time\n    time.sleep(30)\n    return r\n")])
    victim = start(api, sleeper)
    wait_until(lambda: api.get(f"/api/runs/{victim}").json()["nodes"][0]["status"] == "running", 60, "the victim to run")
    victim_before = api.get(f"/api/runs/{victim}").json()
    before = reports(api)
    forger = create(api, [py("forge", FORGE.format(victim=victim))])
    run = wait_for_run(api, start(api, forger))
    assert run["status"] == "completed", run  # its own reports still count
    # Three forged batches and two bad parts reached the API and were refused there; the
    # lines that are no report, or the host's own envelope with no report in it, never left the host.
    assert reports(api)["pipe_refused"] - before.get("pipe_refused", 0) == 5
    victim_now = api.get(f"/api/runs/{victim}").json()
    assert victim_now["status"] == "running" and victim_now["error"] is None
    assert [_state(n) for n in victim_now["nodes"]] == [_state(n) for n in victim_before["nodes"]]
    assert api.get(f"/api/runs/{victim}/nodes/sleep/output").json()["records"] == []
    # The host and the launcher go on: the victim can be cancelled, a new run runs.
    assert api.post(f"/api/runs/{victim}/cancel").status_code == 200
    assert wait_for_run(api, victim, 30)["status"] == "cancelled"
    quick = create(api, [py("quick", "def node(r):\n    return r\n")])
    assert wait_for_run(api, start(api, quick))["status"] == "completed"


def test_a_run_killed_right_after_its_node_started_is_settled_naming_that_node(api):
    kill = "def node(r):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    wf = create(api, [py("first", "def node(r):\n    return {'id': 'a'}\n"), py("die", kill), py("after", "def node(r):\n    return r\n")],
                [("first", "die"), ("die", "after")])
    run = wait_for_run(api, start(api, wf))
    assert run["status"] == "crashed" and "exited" in run["error"], run
    # The node's start was written to the pipe a moment before the kill, and read before the exit.
    assert {n["node_id"]: n["status"] for n in run["nodes"]} == {"first": "completed", "die": "crashed",
                                                                  "after": "not_run"}


def test_a_spawned_run_still_reports_over_http(prefect_api_url, tmp_path):
    from tests.server_harness import ServerProcess

    server = ServerProcess(tmp_path / "home", prefect_api_url, flows=None,
                           extra_env={"WIREWORK_RUN_PROCESSES": "spawn"}).start()
    try:
        with server.client() as api:
            wf = create(api, [py("one", "def node(r):\n    return {'id': 'x'}\n")])
            run = wait_for_run(api, start(api, wf), 120)
            assert run["status"] == "completed", run
            assert api.get(f"/api/runs/{run['id']}/nodes/one/output").json()["records"] == [{"id": "x"}]
            counts = reports(api)
            assert counts["http_event_batches"] >= 2 and counts["http_parts"] == 1
            assert counts.get("pipe_event_batches", 0) == 0 and counts.get("pipe_parts", 0) == 0
    finally:
        server.stop()
