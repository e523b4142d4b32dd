"""A forked run's reports on its run host's pipe (engine/client/pipe_reporting.py) and what
the host makes of each line (engine/execution/run_host.py): batches in the order of the
HTTP observer, small parts inline, and an envelope built by the host alone."""

from __future__ import annotations

import base64
import os
from datetime import datetime, timezone

import orjson

from engine.client.pipe_reporting import PIPE_PART_BYTES, PipeRunData, PipeRunObserver, ReportPipe
from engine.execution.run_host import _forwarded
from engine.model.runs import NodeResult
from engine.model.statuses import NodeStatus


def _lines(fd: int) -> list[dict]:
    os.set_blocking(fd, False)
    data = b""
    try:
        while chunk := os.read(fd, 1 << 20):
            data += chunk
    except BlockingIOError:
        pass
    return [orjson.loads(line) for line in data.split(b"\n") if line]


def test_events_are_written_in_batches_a_node_start_before_its_code_and_parts_inline():
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    pipe = ReportPipe(write_end)
    observer = PipeRunObserver(pipe)
    now = datetime.now(timezone.utc)
    observer.node_started("r1", "a", 1, 1, now)
    assert [[e["event"] for e in line["events"]] for line in _lines(read_end)] == [["node_started"]]
    PipeRunData(pipe, http=lambda: (_ for _ in ()).throw(AssertionError("no HTTP for a small part"))).write_part(
        "r1", "a", 0, b"arrow bytes")
    observer.node_finished(NodeResult(run_id="r1", node_id="a", status=NodeStatus.COMPLETED, attempts=1, records_out=1))
    observer.run_finished("r1", "completed", None, now)
    part, end = _lines(read_end)
    assert part == {"part": {"node_id": "a", "part": 0, "data": base64.b64encode(b"arrow bytes").decode()}}
    assert [e["event"] for e in end["events"]] == ["node_finished", "run_finished"]
    os.close(read_end)
    os.close(write_end)


def test_a_big_part_goes_over_http():
    sent = []

    class Http:
        def write_part(self, *args):
            sent.append(args)

    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    PipeRunData(ReportPipe(write_end), http=Http).write_part("r1", "a", 3, b"x" * (PIPE_PART_BYTES + 1))
    assert [args[:3] for args in sent] == [("r1", "a", 3)] and _lines(read_end) == []
    os.close(read_end)
    os.close(write_end)


def test_the_host_tags_a_line_with_its_own_run_id_whatever_the_line_says():
    forged = b'{"run_id": "other", "event": "exited", "events": [{"event": "x", "data": {}}], "run_id": "other"}'
    assert _forwarded("mine", forged) == {"event": "report", "run_id": "mine", "events": [{"event": "x", "data": {}}]}
    part = b'{"part": {"node_id": "n", "part": 2, "data": "AA==", "run_id": "other"}, "run_id": "other"}'
    assert _forwarded("mine", part) == {"event": "part", "run_id": "mine", "node_id": "n", "part": 2, "data": "AA=="}
    for bad in (b"not json", b"[]", b'{"events": {}}', b'{"part": {"node_id": "n", "part": true, "data": ""}}',
                b'{"event": "exited", "run_id": "other", "returncode": 0}'):
        assert _forwarded("mine", bad) is None, bad
