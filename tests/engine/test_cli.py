"""`wirework run` / `wirework validate` as a user runs them: real subprocesses, real Prefect."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.builders import node, workflow


def run_cli(cmd, args, env=None, timeout=120):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=timeout)


def write(tmp_path, wf) -> str:
    path = tmp_path / f"{wf.id}.json"
    path.write_text(wf.to_json())
    return str(path)


def test_validate_ok(wirework_cmd):
    result = run_cli(wirework_cmd, ["validate", "flows/hello.json"])
    assert result.returncode == 0 and 'workflow "hello" is valid' in result.stdout


def test_validate_prints_every_problem_and_exits_2(wirework_cmd, tmp_path):
    wf = workflow([node("a", "python.map", "def node(r):\n  return (\n"), node("b", "nope")],
                  [("a", "b"), ("b", "a")])
    result = run_cli(wirework_cmd, ["validate", write(tmp_path, wf)])
    assert result.returncode == 2
    assert 'node "a", code, line 2: SyntaxError' in result.stderr
    assert 'node "b": unknown node type "nope"' in result.stderr
    assert "cycle" in result.stderr and "3 problem(s)" in result.stderr


def test_validate_unreadable_file_exits_2(wirework_cmd, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run_cli(wirework_cmd, ["validate", str(bad)])
    assert result.returncode == 2 and "not valid JSON" in result.stderr


def test_up_with_a_run_limit_that_is_not_a_number_names_the_variable(wirework_cmd, cli_env, tmp_path):
    env = {**cli_env, "WIREWORK_HOME": str(tmp_path), "WIREWORK_MAX_CONCURRENT_RUNS": "lots"}
    result = run_cli(wirework_cmd, ["up", "--port", "0"], env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == ("✗ WIREWORK_MAX_CONCURRENT_RUNS must be a whole number of runs, "
                                     "1 or more (got 'lots')")


@pytest.mark.slow
def test_run_sample_flow_prints_progress_and_summary(wirework_cmd, cli_env, wirework_home):
    result = run_cli(wirework_cmd, ["run", "flows/hello.json"], env=cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "▶ headlines" in out and "✓ headlines" in out and "1 → 5 records" in out
    assert "✓ summary" in out and "5 → 1 records" in out
    assert "run completed" in out and "(3 completed)" in out
    from engine.server.db.app_db import AppDatabase

    db = AppDatabase(wirework_home / "app.duckdb")
    try:
        [run] = db.list_runs(workflow_id="hello")
        assert run["status"] == "completed"
        summary_node = next(n for n in db.get_run(run["id"])["nodes"] if n["node_id"] == "summary")
        assert summary_node["records_out"] == 1 and summary_node["sample"] is None  # metadata only
    finally:
        db.close()
    from engine.execution.run_data import LocalRunData

    [summary] = LocalRunData(wirework_home).read_output(run["id"], "summary")  # every record, in run-data/
    assert summary["text"] == "2 positive, 1 neutral, 2 negative headlines"


@pytest.mark.slow
def test_run_failing_flow_exits_1_with_user_line(wirework_cmd, cli_env, tmp_path):
    wf = workflow([
        node("src", "python.yield", "def node(r):\n    yield {'id': 'a', 'v': 0}\n"),
        node("div", "python.map", "def node(record):\n    return {'x': 1 / record['v']}\n"),
        node("after", "python.map", "def node(r):\n    return r\n"),
    ], [("src", "div"), ("div", "after")], wf_id="failing")
    result = run_cli(wirework_cmd, ["run", write(tmp_path, wf)], env=cli_env)
    assert result.returncode == 1
    assert "✗ div" in result.stdout and "ZeroDivisionError" in result.stdout
    assert 'record "a", line 2' in result.stdout and "> return {'x': 1 / record['v']}" in result.stdout
    assert "· after" in result.stdout and "run failed" in result.stdout


def test_run_invalid_flow_exits_2_without_running(wirework_cmd, tmp_path, cli_env):
    wf = workflow([node("a", "python.unknown")], [], wf_id="invalid")
    result = run_cli(wirework_cmd, ["run", write(tmp_path, wf)], env=cli_env)
    assert result.returncode == 2 and 'unknown node type "python.unknown"' in result.stderr


def test_run_with_bad_payload_is_a_usage_error(wirework_cmd, cli_env):
    result = run_cli(wirework_cmd, ["run", "flows/hello.json", "--payload", "{oops"], env=cli_env)
    assert result.returncode == 64 and "--payload is not valid JSON" in result.stderr


@pytest.mark.slow
def test_run_passes_payload_to_sources(wirework_cmd, cli_env, tmp_path, wirework_home):
    wf = workflow([node("echo", "python.map", "def node(r):\n    return {'id': 'e', 'ticker': r['payload']['ticker']}\n")],
                  [], wf_id="echo")
    result = run_cli(wirework_cmd, ["run", write(tmp_path, wf), "--payload", json.dumps({"ticker": "ACME"})], env=cli_env)
    assert result.returncode == 0, result.stdout + result.stderr
    from engine.server.db.app_db import AppDatabase

    db = AppDatabase(wirework_home / "app.duckdb")
    try:
        [run] = db.list_runs(workflow_id="echo")
    finally:
        db.close()
    from engine.execution.run_data import LocalRunData

    assert LocalRunData(wirework_home).read_output(run["id"], "echo") == [{"id": "e", "ticker": "ACME"}]


@pytest.mark.slow
def test_run_goes_through_a_running_server_that_owns_the_data_folder(wirework_cmd, server, tmp_path):
    import os

    wf = workflow([
        node("src", "python.yield", "def node(r):\n    for i in range(4):\n        yield {'id': str(i)}\n"),
        node("boom", "python.map", "def node(record):\n    return {'x': 1 / (int(record['id']) - 2)}\n"),
    ], [("src", "boom")], wf_id="remote-cli")
    env = {**os.environ, "WIREWORK_HOME": str(server.home)}
    env.pop("PREFECT_API_URL", None)
    result = run_cli(wirework_cmd, ["run", write(tmp_path, wf)], env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"running on the wirework server at {server.url}" in result.stdout
    assert "✓ src" in result.stdout and "1 → 4 records" in result.stdout
    assert "✗ boom" in result.stdout and 'record "2", line 2' in result.stdout
    with server.client() as api:
        [run] = api.get("/api/runs", params={"workflow_id": "remote-cli"}).json()
        assert run["status"] == "failed"


def test_up_imports_the_shipped_sample_flows_from_any_working_directory(prefect_api_url, tmp_path):
    from tests.server_harness import ServerProcess

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = ServerProcess(tmp_path / "home", prefect_api_url, flows=None, cwd=elsewhere).start()
    try:
        with server.client() as api:
            ids = {w["id"] for w in api.get("/api/workflows").json()}
        assert {"hello", "stock_news_sentiment"} <= ids
        assert (server.home / "samples-imported").exists()
    finally:
        server.stop()


def test_up_serves_the_editor_built_in_the_checkout():
    from pathlib import Path

    from engine.cli.up import editor_dist

    assert editor_dist() == Path(__file__).resolve().parents[2] / "editor_ui" / "dist"
