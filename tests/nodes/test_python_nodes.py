"""The Python node families, called directly (no Prefect): semantics and error reporting."""

from __future__ import annotations

import logging
import uuid

import pytest

from nodes import NodeContext, NodeError
from nodes.python_nodes import PythonAggregate, PythonMap, PythonYield
from tests.builders import code


def make(node_type, source, node_id="n1"):
    return node_type(node_type.Config(code=code(source)), node_id=node_id)


def ctx(node_id="n1"):
    return NodeContext(workflow_id="wf", run_id="r1", node_id=node_id, logger=logging.getLogger("t"), trigger={"id": "t"})


def test_map_transforms_each_record_and_none_drops():
    node = make(PythonMap, """
        def node(record: dict) -> dict:
            if record["n"] % 2:
                return None
            return {"id": record["id"], "double": record["n"] * 2}
    """)
    out = node.run(ctx(), [{"id": str(i), "n": i} for i in range(5)])
    assert out == [{"id": "0", "double": 0}, {"id": "2", "double": 4}, {"id": "4", "double": 8}]


def test_map_keeps_the_input_id_when_the_result_has_none():
    node = make(PythonMap, "def node(record):\n    return {'x': 1}\n")
    assert node.run(ctx(), [{"id": "a"}]) == [{"id": "a", "x": 1}]


def test_map_returning_non_dict_names_the_record():
    node = make(PythonMap, "def node(record):\n    return [record]\n")
    with pytest.raises(NodeError) as err:
        node.run(ctx(), [{"id": "rec-7"}])
    assert err.value.record_id == "rec-7" and "list" in err.value.message


def test_yield_emits_many_and_assigns_uuid_ids():
    node = make(PythonYield, """
        def node(record: dict):
            for word in record["text"].split():
                yield {"word": word}
    """)
    out = node.run(ctx(), [{"id": "1", "text": "a b"}, {"id": "2", "text": "c"}])
    assert [r["word"] for r in out] == ["a", "b", "c"]
    assert all(uuid.UUID(r["id"]) for r in out) and len({r["id"] for r in out}) == 3


def test_aggregate_returns_one_record_or_many():
    one = make(PythonAggregate, "def node(records):\n    return {'count': len(records)}\n")
    [summary] = one.run(ctx(), [{"id": "a"}, {"id": "b"}])
    assert summary["count"] == 2 and isinstance(summary["id"], str)
    many = make(PythonAggregate, "def node(records):\n    return [{'id': r['id'] + '!'} for r in records]\n")
    assert many.run(ctx(), [{"id": "a"}, {"id": "b"}]) == [{"id": "a!"}, {"id": "b!"}]


def test_user_error_reports_node_record_exception_and_user_line():
    node = make(PythonMap, """
        def node(record: dict) -> dict:
            price = record["price"]
            ratio = 100 / price
            return {"id": record["id"], "ratio": ratio}
    """, node_id="ratio")
    with pytest.raises(NodeError) as err:
        node.run(ctx("ratio"), [{"id": "ok", "price": 4}, {"id": "zero", "price": 0}])
    e = err.value
    assert (e.node_id, e.record_id, e.user_line, e.exception_type) == ("ratio", "zero", 3, "ZeroDivisionError")
    assert e.source_line == "ratio = 100 / price"
    assert str(e).startswith('node "ratio", record "zero", line 3: ZeroDivisionError')


def test_error_deep_in_a_user_helper_points_at_innermost_user_line():
    node = make(PythonMap, """
        def parse(value):
            return int(value)

        def node(record):
            return {"n": parse(record["v"])}
    """)
    with pytest.raises(NodeError) as err:
        node.run(ctx(), [{"id": "x", "v": "abc"}])
    assert err.value.user_line == 2 and err.value.exception_type == "ValueError"


# The Kern AI article's node code, as users paste it: imports inside the body.
KERN_YIELD = '''
def node(record: dict):
    from uuid import uuid4
    from datetime import datetime
    titles = ["Stock A climbs", "Stock B drops"]
    links = ["https://example.test/a", "https://example.test/b"]
    for title, link in zip(titles, links):
        yield {
            "id": str(uuid4()),
            "headline": title,
            "link": link,
            "scraped_at": str(datetime.today()),
        }
'''

KERN_AGGREGATE = '''
def node(records: list[dict]) -> dict:
    from datetime import datetime
    positive = 0
    neutral = 0
    negative = 0
    for record in records:
        sentiment = record["prediction"]["results"]["sentiment"]["prediction"]
        if sentiment == "rather positive":
            positive += 1
        elif sentiment == "neutral":
            neutral += 1
        elif sentiment == "rather negative":
            negative += 1
    text = f"Today's news: {positive} positive, {neutral} neutral and {negative} negative articles."
    return {"id": str(datetime.today()), "text": text}
'''


def test_kern_seed_code_runs_unmodified():
    produced = make(PythonYield, KERN_YIELD).run(ctx(), [{"id": "trigger"}])
    assert [r["headline"] for r in produced] == ["Stock A climbs", "Stock B drops"]
    labelled = [
        {"id": "1", "prediction": {"results": {"sentiment": {"prediction": "rather positive"}}}},
        {"id": "2", "prediction": {"results": {"sentiment": {"prediction": "neutral"}}}},
        {"id": "3", "prediction": {"results": {"sentiment": {"prediction": "rather positive"}}}},
    ]
    [summary] = make(PythonAggregate, KERN_AGGREGATE).run(ctx(), labelled)
    assert summary["text"] == "Today's news: 2 positive, 1 neutral and 0 negative articles."
