"""The Prefect executor against a real Prefect server: graph semantics, retries,
timeouts, failures and the run history it writes."""

from __future__ import annotations

import time

import pytest

from engine.execution.local_run import run_workflow
from tests.builders import node, workflow

pytestmark = pytest.mark.usefixtures("prefect_api_url")

SOURCE = """
def node(record):
    for i in range(3):
        yield {"id": f"s{i}", "n": i}
"""


def test_linear_flow_runs_every_node_and_counts_records(app_db):
    wf = workflow([
        node("src", "python.yield", SOURCE),
        node("double", "python.map", "def node(r):\n    return {'id': r['id'], 'n': r['n'] * 2}\n"),
        node("total", "python.aggregate", "def node(rs):\n    return {'id': 'total', 'sum': sum(r['n'] for r in rs)}\n"),
    ], [("src", "double"), ("double", "total")])
    summary = run_workflow(wf, app_db=app_db)
    assert summary.status == "completed"
    counts = {nid: (r.records_in, r.records_out, r.status) for nid, r in summary.nodes.items()}
    assert counts == {"src": (1, 3, "completed"), "double": (3, 3, "completed"), "total": (3, 1, "completed")}
    assert summary.nodes["total"].sample == [{"id": "total", "sum": 6}]


def test_sources_receive_the_trigger_record_with_payload(app_db):
    wf = workflow([node("src", "python.map", "def node(r):\n    return {'id': 'echo', 'got': r}\n")], [])
    summary = run_workflow(wf, {"ticker": "ACME"}, app_db=app_db)
    got = summary.nodes["src"].sample[0]["got"]
    assert got["trigger"] == "manual" and got["payload"] == {"ticker": "ACME"} and got["id"] == summary.run_id


def test_fan_out_and_fan_in_concatenate_in_edge_order(app_db):
    wf = workflow([
        node("src", "python.yield", SOURCE),
        node("left", "python.map", "def node(r):\n    r['side'] = 'L'\n    return r\n"),
        node("right", "python.map", "def node(r):\n    r['side'] = 'R'\n    return r\n"),
        node("join", "python.aggregate", "def node(rs):\n    return {'id': 'j', 'order': [r['side'] + r['id'] for r in rs]}\n"),
    ], [("src", "left"), ("src", "right"), ("right", "join"), ("left", "join")])
    summary = run_workflow(wf, app_db=app_db)
    assert summary.status == "completed"
    # Edge order puts right's records first; in-place mutation in one branch does not leak.
    assert summary.nodes["join"].sample[0]["order"] == ["Rs0", "Rs1", "Rs2", "Ls0", "Ls1", "Ls2"]


def test_retries_succeed_on_the_second_try(app_db, tmp_path):
    marker = tmp_path / "attempted"
    flaky = f"""
def node(record):
    import pathlib
    marker = pathlib.Path({str(marker)!r})
    if not marker.exists():
        marker.write_text("1")
        raise ConnectionError("first try fails")
    return {{"id": "ok"}}
"""
    wf = workflow([node("flaky", "python.map", flaky, retries=2)], [])
    summary = run_workflow(wf, app_db=app_db)
    result = summary.nodes["flaky"]
    assert summary.status == "completed" and result.status == "completed" and result.attempts == 2
    row = app_db.get_run(summary.run_id)["nodes"][0]  # the history says two attempts ran
    assert row["attempts"] == 2 and row["status"] == "completed"


def test_a_retried_error_is_logged_with_its_type_once(app_db):
    missing = "def node(record):\n    return record['missing']\n"
    wf = workflow([node("m", "python.map", missing, retries=1)], [])
    attempts: list[str] = []  # each attempt's log, as the run's observers get it

    class Logs:
        def run_started(self, info): ...
        def node_started(self, run_id, node_id, attempt, records_in, at): ...
        def node_finished(self, result): attempts.append(result.logs)
        def run_finished(self, run_id, status, error, at): ...

    summary = run_workflow(wf, app_db=app_db, observers=[Logs()])
    result = summary.nodes["m"]
    assert result.status == "failed" and result.attempts == 2
    assert result.error["type"] == "KeyError" and result.error["message"] == "KeyError: 'missing'"
    assert "attempt 1 failed: KeyError: 'missing'; retrying" in attempts[0]
    assert not any("KeyError: KeyError" in text for text in attempts)


def test_timeout_stops_a_blocking_node_and_fails_the_run(app_db):
    wf = workflow([
        node("slow", "python.map", "def node(r):\n    import time\n    time.sleep(30)\n    return r\n", timeout_s=1),
        node("after", "python.map", "def node(r):\n    return r\n"),
    ], [("slow", "after")])
    started = time.monotonic()
    summary = run_workflow(wf, app_db=app_db)
    elapsed = time.monotonic() - started
    assert summary.status == "failed"
    assert summary.nodes["slow"].status == "failed" and summary.nodes["slow"].error["type"] == "NodeTimeout"
    assert summary.nodes["after"].status == "not_run"
    assert elapsed < 15  # far less than the 30 s sleep: the node was abandoned at its deadline


def test_failing_node_reports_user_line_and_downstream_does_not_run(app_db):
    wf = workflow([
        node("src", "python.yield", SOURCE),
        node("boom", "python.map", "def node(record):\n    if record['n'] == 1:\n        raise ValueError('bad n')\n    return record\n"),
        node("sink", "python.aggregate", "def node(rs):\n    return {'id': 'x'}\n"),
        node("side", "python.map", "def node(r):\n    return r\n"),
    ], [("src", "boom"), ("boom", "sink"), ("src", "side")])
    summary = run_workflow(wf, app_db=app_db)
    assert summary.status == "failed" and "boom" in summary.error
    error = summary.nodes["boom"].error
    assert (error["type"], error["record_id"], error["line"]) == ("ValueError", "s1", 3)
    assert error["source_line"] == "raise ValueError('bad n')"
    assert summary.nodes["sink"].status == "not_run"
    assert summary.nodes["side"].status == "completed"  # an independent branch still runs


def test_run_history_rows_are_written(app_db):
    wf = workflow([
        node("src", "python.yield", SOURCE),
        node("talk", "python.map", "def node(r):\n    print('seen', r['id'])\n    return r\n"),
    ], [("src", "talk")])
    summary = run_workflow(wf, {"k": 1}, app_db=app_db)
    [listed] = app_db.list_runs(workflow_id="test-flow")
    assert listed["id"] == summary.run_id and listed["status"] == "completed" and listed["ended_at"] is not None
    assert listed["trigger"]["payload"] == {"k": 1} and listed["prefect_flow_run_id"]
    run = app_db.get_run(summary.run_id)
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert nodes["talk"]["records_in"] == 3 and nodes["talk"]["records_out"] == 3
    assert nodes["talk"]["logs"].splitlines() == ["seen s0", "seen s1", "seen s2"]
    # The app database keeps metadata only (issue 16): the records are the run data's, and
    # the in-process summary keeps its small preview.
    assert nodes["talk"]["sample"] is None and [r["id"] for r in summary.nodes["talk"].sample] == ["s0", "s1", "s2"]
    assert run["inputs"] == {"src": [], "talk": ["src"]}
    assert nodes["talk"]["duration_s"] >= 0


def test_failed_run_history_keeps_the_error(app_db):
    wf = workflow([node("bad", "python.map", "def node(r):\n    return r['missing']\n")], [])
    summary = run_workflow(wf, app_db=app_db)
    run = app_db.get_run(summary.run_id)
    assert run["status"] == "failed"
    [bad] = run["nodes"]
    assert bad["status"] == "failed" and bad["error"]["type"] == "KeyError" and bad["error"]["line"] == 2


def test_one_prefect_task_per_node(app_db):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    wf = workflow([node("src", "python.yield", SOURCE), node("m", "python.map", "def node(r):\n    return r\n")],
                  [("src", "m")])
    summary = run_workflow(wf, app_db=app_db)
    flow_run_id = app_db.get_run(summary.run_id)["prefect_flow_run_id"]

    async def task_names():
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return sorted(r.name for r in runs)

    assert asyncio.run(task_names()) == ["m", "src"]


def test_an_integer_beyond_64_bits_flows_on_and_is_kept_as_its_digits(app_db):
    # orjson refuses such integers; one used to leave the node "running" with no error.
    wf = workflow([
        node("src", "python.yield", "def node(record):\n    yield {'id': 'big', 'n': 10**30 + 7}\n"),
        node("mod", "python.map", "def node(r):\n    return {'id': r['id'], 'n': r['n'], 'rest': r['n'] % 1000}\n"),
    ], [("src", "mod")])
    summary = run_workflow(wf, app_db=app_db)
    assert summary.status == "completed", summary
    # the next node got the real integer; what the run keeps of it shows every digit
    assert summary.nodes["mod"].sample == [{"id": "big", "n": str(10**30 + 7), "rest": 7}]


def test_run_reports_encode_wide_integers_as_text_and_leave_the_rest_alone():
    from engine.model import json_bytes

    encoded = json_bytes.dumps({"events": [{"n": -(2**70), "ok": True, "small": 2**63, "f": 1.5, "t": (1, 2**65)}]})
    assert encoded == (b'{"events":[{"n":"-1180591620717411303424","ok":true,"small":9223372036854775808,'
                       b'"f":1.5,"t":[1,"36893488147419103232"]}]}')


def test_a_record_that_contains_itself_still_ends_its_node(app_db):
    code = "def node(record):\n    r = {'id': 'loop'}\n    r['self'] = r\n    yield r\n"
    summary = run_workflow(workflow([node("src", "python.yield", code)], []), app_db=app_db)
    assert summary.status == "completed", summary
    [preview] = summary.nodes["src"].sample
    assert preview["not_json"].startswith("{'id': 'loop', 'self': {...}}")
