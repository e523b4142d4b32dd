"""The launcher's reader of the run host's control pipe (engine/execution/run_processes.py
ForkServer) and what runs report through it, against a stand-in host that answers each
job line at once: a run's reports are handed over before its exit, even those read
before the job line's write has returned; reports naming a run not sent to the host are
dropped."""

from __future__ import annotations

import os
import sys
import time

from tests.server_harness import wait_until

from engine.execution.run_processes import ForkServer

# Answers each job with its start, a report, a report for a run it was never given, and the exit.
HOST = """
import os, sys, orjson
os.write(1, orjson.dumps({"event": "ready", "pid": os.getpid()}) + b"\\n")
for line in sys.stdin:
    run_id = orjson.loads(line)["run_id"]
    out = [{"event": "started", "run_id": run_id, "pid": os.getpid()},
           {"event": "report", "run_id": run_id, "events": [{"event": "node_started", "data": {}}]},
           {"event": "report", "run_id": "never-sent", "events": []},
           {"event": "exited", "run_id": run_id, "returncode": 0}]
    os.write(1, b"".join(orjson.dumps(o) + b"\\n" for o in out))
"""


class SlowFlush:
    """The host's stdin, whose flush returns only well after the host has answered."""

    def __init__(self, pipe):
        self._pipe = pipe

    def write(self, data: bytes) -> int:
        return self._pipe.write(data)

    def flush(self) -> None:
        self._pipe.flush()
        time.sleep(0.3)

    def close(self) -> None:
        self._pipe.close()


def test_reports_read_before_the_job_lines_write_returned_are_kept_and_strangers_dropped():
    received: list[tuple[str, str]] = []
    server = ForkServer([sys.executable, "-c", HOST], dict(os.environ),
                        on_reports=lambda reports: received.extend((r["run_id"], r["event"]) for r in reports))
    server.start()
    try:
        wait_until(lambda: server.health()["host_ready"], 30, "the stand-in host")
        host = server._host
        assert host is not None
        host.stdin = SlowFlush(host.stdin)
        handle = server.run("r1", {"kind": "run", "workflow": {"id": "w"}, "trigger": {}, "token": "t"})
        assert handle.wait() == 0
        assert received == [("r1", "report")]
    finally:
        server.shutdown(5.0)
