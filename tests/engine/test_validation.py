"""Validation reports every problem at once, each naming its node or edge."""

from __future__ import annotations

import json

import pytest

from engine import WorkflowFileError, parse_workflow, validate_workflow
from tests.builders import node, workflow

MAP_OK = "def node(record):\n    return record\n"


def codes(problems):
    return sorted(p.code for p in problems)


def test_sample_flow_is_valid():
    from engine import load_workflow

    assert validate_workflow(load_workflow("flows/hello.json")) == []


def test_cycle_is_reported_with_its_nodes():
    wf = workflow([node("a", "python.map", MAP_OK), node("b", "python.map", MAP_OK), node("c", "python.map", MAP_OK)],
                  [("a", "b"), ("b", "c"), ("c", "b")])
    problems = validate_workflow(wf)
    assert codes(problems) == ["cycle"]
    assert "b → c → b" in problems[0].message or "c → b → c" in problems[0].message


def test_self_loop_is_a_cycle():
    wf = workflow([node("a", "python.map", MAP_OK)], [("a", "a")])
    assert "cycle" in codes(validate_workflow(wf))


def test_edge_to_missing_node_names_the_edge():
    wf = workflow([node("a", "python.map", MAP_OK)], [("a", "ghost")])
    [problem] = validate_workflow(wf)
    assert problem.code == "missing_node" and problem.edge == "e0" and "ghost" in problem.message


def test_duplicate_node_ids():
    wf = workflow([node("a", "python.map", MAP_OK), node("a", "python.map", MAP_OK)], [])
    assert codes(validate_workflow(wf)) == ["duplicate_id"]


def test_unknown_node_type_lists_known_types():
    wf = workflow([node("x", "python.mapp", MAP_OK)], [])
    [problem] = validate_workflow(wf)
    assert problem.code == "unknown_type" and problem.node == "x" and "python.map" in problem.message


def test_config_that_fails_its_schema():
    wf = workflow([node("a", "python.map", MAP_OK, config={"code": MAP_OK, "colour": "red"})], [])
    [problem] = validate_workflow(wf)
    assert problem.code == "config" and problem.node == "a" and problem.field == "colour"


def test_code_that_does_not_compile_reports_the_line():
    wf = workflow([node("clean", "python.map", "def node(record):\n    x = 1\n    return record[\n")], [])
    [problem] = validate_workflow(wf)
    assert problem.code == "config" and problem.node == "clean" and problem.line == 3
    assert "SyntaxError" in problem.message


def test_code_without_entry_function():
    wf = workflow([node("a", "python.map", "def transform(record):\n    return record\n")], [])
    [problem] = validate_workflow(wf)
    assert "def node" in problem.message


@pytest.mark.parametrize("cron", ["61 * * * *", "every hour", "* * * *"])
def test_bad_cron(cron):
    wf = workflow([node("a", "python.map", MAP_OK)], [], schedule={"cron": cron, "enabled": True})
    [problem] = validate_workflow(wf)
    assert problem.code == "schedule" and cron in problem.message


def test_bad_timezone():
    wf = workflow([node("a", "python.map", MAP_OK)], [], schedule={"cron": "0 * * * *", "timezone": "Mars/Base"})
    assert codes(validate_workflow(wf)) == ["schedule"]


def test_all_problems_reported_at_once():
    wf = workflow(
        [node("a", "python.map", "def node(r):\n  return (\n"), node("b", "nope"), node("c", "python.map", MAP_OK)],
        [("a", "c"), ("c", "a"), ("c", "zzz")],
        schedule={"cron": "bad", "enabled": True},
    )
    assert codes(validate_workflow(wf)) == ["config", "cycle", "missing_node", "schedule", "unknown_type"]


def test_source_node_with_input_is_refused():
    from nodes import NodeConfig, NodeRegistry, NodeType

    class Ticker(NodeType):
        type = "test.ticker"
        category = "source"
        Config = NodeConfig

    registry = NodeRegistry()
    registry.register(Ticker)
    from nodes.python_nodes import PythonMap

    registry.register(PythonMap)
    wf = workflow([node("m", "python.map", MAP_OK), node("t", "test.ticker")], [("m", "t")])
    [problem] = validate_workflow(wf, registry)
    assert problem.code == "source_has_input" and problem.node == "t"


def test_unparseable_document_names_the_node():
    doc = {"id": "wf", "nodes": [{"id": "ok", "type": "python.map"}, {"id": "bad", "type": "python.map", "retries": -1}]}
    with pytest.raises(WorkflowFileError) as err:
        parse_workflow(doc)
    assert 'node "bad": retries' in str(err.value)


def test_invalid_json_text_says_where():
    with pytest.raises(WorkflowFileError) as err:
        parse_workflow('{"id": "wf", "nodes": [}', source="broken.json")
    assert "broken.json" in str(err.value) and "line 1" in str(err.value)


def test_workflow_id_must_be_a_safe_name():
    with pytest.raises(WorkflowFileError):
        parse_workflow(json.dumps({"id": "../etc"}))


def test_next_run_times():
    from datetime import datetime, timezone

    from engine.model.validation import next_run_times

    times = next_run_times("0 * * * *", "UTC", 3, start=datetime(2026, 1, 1, 10, 30, tzinfo=timezone.utc))
    assert [t.hour for t in times] == [11, 12, 13]


def test_store_read_may_follow_a_node_for_ordering_only():
    wf = workflow([node("write", "store.write", config={"store": "news"}),
                   node("read", "store.read", config={"store": "news", "mode": "incremental"})],
                  [("write", "read")])
    assert validate_workflow(wf) == []
