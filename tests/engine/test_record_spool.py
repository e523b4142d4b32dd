"""Record batches between nodes (engine/execution/record_spool.py): an output spilled to
disk is read back whole and in order by every consumer, each with its own copy; what
JSON cannot hold exactly stays in memory as it is; the spill file (without a name) goes with the output."""

from __future__ import annotations

from datetime import datetime, timezone

from engine.execution.record_spool import RecordBatches, RecordSpool, RunScratch, decode_lines, encode_lines

from tests.builders import node, workflow


def _batches(count: int, size: int) -> list[list[dict]]:
    return [[{"id": f"r{b * size + i}", "n": b * size + i, "tags": ["x"]} for i in range(size)] for b in range(count)]


def test_a_spilled_output_is_read_whole_and_in_order_by_two_consumers_each_with_its_own_copy(tmp_path):
    scratch = RunScratch("run-1", root=tmp_path)
    spool = RecordSpool(scratch, "gen", consumers=2, limit_bytes=2_000)  # about one batch in memory
    for batch in _batches(5, 100):
        spool.put(batch)
    assert spool.count == 500 and spool.spilled_batches >= 4
    assert spool.on_disk_bytes > 0
    assert list(scratch.path.iterdir()) == []  # on disk, under no name another run could open

    first, second = spool.reader(0), spool.reader(1)
    for batch in first:
        for record in batch:
            record["n"] = -1  # a map that mutates its input in place
            record["tags"].append("mutated")
    assert [r["n"] for batch in second for r in batch] == list(range(500))
    assert all(r["tags"] == ["x"] for batch in second for r in batch)
    assert [r["id"] for r in second.records()] == [f"r{i}" for i in range(500)]  # read again: from the start

    first.release()
    assert spool.on_disk_bytes > 0  # the second consumer still reads it
    second.release()
    assert spool.on_disk_bytes == 0


def test_a_single_consumer_under_the_limit_gets_the_batches_themselves_without_a_file(tmp_path):
    scratch = RunScratch("run-2", root=tmp_path)
    spool = RecordSpool(scratch, "gen", consumers=1, limit_bytes=10_000_000)
    batches = _batches(3, 10)
    for batch in batches:
        spool.put(batch)
    assert [b for b in spool.reader(0)] == batches and next(iter(spool.reader(0))) is batches[0]
    assert not scratch.path.exists() and spool.spilled_batches == 0


def test_a_batch_json_cannot_hold_exactly_stays_in_memory_as_it_is(tmp_path):
    scratch = RunScratch("run-3", root=tmp_path)
    spool = RecordSpool(scratch, "gen", consumers=2, limit_bytes=0)  # everything else spills
    when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    spool.put([{"id": "a", "n": 1}])
    spool.put([{"id": "b", "at": when, "big": 10 ** 30, "kinds": {1, 2}}])
    spool.put([{"id": "c", "n": 3}])
    for index in (0, 1):
        records = spool.reader(index).records()
        assert [r["id"] for r in records] == ["a", "b", "c"]
        assert records[1]["at"] == when and records[1]["big"] == 10 ** 30 and records[1]["kinds"] == {1, 2}
    assert spool.reader(0).records()[1] is not spool.reader(1).records()[1]  # still a copy per consumer
    assert spool.spilled_batches == 2


def test_input_from_several_upstreams_is_their_concatenation_in_order(tmp_path):
    scratch = RunScratch("run-4", root=tmp_path)
    a = RecordSpool(scratch, "a", consumers=1, limit_bytes=0)
    b = RecordSpool(scratch, "b", consumers=1, limit_bytes=10 ** 9)
    a.put([{"id": "a1"}, {"id": "a2"}])
    b.put([{"id": "b1"}])
    joined = RecordBatches.concat([a.reader(0), b.reader(0)])
    assert len(joined) == 3 and [r["id"] for r in joined.records()] == ["a1", "a2", "b1"]
    assert [count for _, _, count in joined.raw()] == [2, 1]


def test_json_lines_round_trip_a_newline_inside_a_value():
    records = [{"id": "x", "text": "two\nlines", "nested": {"k": [1, 2.5, None]}}, {"id": "y"}]
    lines = encode_lines(records)
    assert lines is not None and lines.count(b"\n") == 1
    assert decode_lines(lines) == records


def test_a_run_with_a_tiny_spill_limit_gives_the_same_results_and_leaves_no_scratch(prefect_api_url, app_db,
                                                                                     wirework_home, monkeypatch):
    from engine.execution.local_run import run_workflow
    from engine.execution.record_spool import scratch_root

    monkeypatch.setenv("WIREWORK_SPILL_MB", "0.01")
    wf = workflow([
        node("gen", "python.yield", "def node(record):\n    for i in range(25000):\n        yield {'id': str(i), 'n': i}\n"),
        node("bump", "python.map", "def node(record):\n    record['n'] += 1\n    return record\n"),
        node("keep", "python.map", "def node(record):\n    return record if record['n'] % 5000 == 0 else None\n"),
        node("all", "python.aggregate", "def node(records):\n    return {'id': 'sum', 'total': sum(r['n'] for r in records)}\n"),
    ], [("gen", "bump"), ("gen", "keep"), ("keep", "all")])
    summary = run_workflow(wf, app_db=app_db, data_home=wirework_home)
    assert summary.status == "completed", summary
    assert summary.nodes["bump"].records_out == 25000 and summary.nodes["keep"].records_out == 5
    assert summary.nodes["all"].sample == [{"id": "sum", "total": 0 + 5000 + 10000 + 15000 + 20000}]  # unbumped
    assert "spilled to disk" in summary.nodes["gen"].logs
    assert [r["n"] for r in summary.nodes["bump"].sample[:3]] == [1, 2, 3]
    assert not (scratch_root() / summary.run_id).exists()
