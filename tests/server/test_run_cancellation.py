"""Cancelling a run through a real `wirework up`: the launcher's SIGTERM reaches the run's
worker, which sets the run's cancel event, so a node that checks it stops with
RunCancelled and the worker itself reports the run `cancelled` (it is not killed)."""

from __future__ import annotations

import time
import uuid

from tests.server_harness import wait_for_run, wait_until

# python.yield checks for cancellation every 1000 items (nodes/user_code.run_generator);
# this one would yield for ever, about 2000 items a second.
ENDLESS_YIELD = """
def node(record):
    import time
    i = 0
    while True:
        i += 1
        if i % 100 == 0:
            time.sleep(0.05)
        yield {"id": str(i)}
"""


def test_cancel_stops_a_node_that_checks_and_the_worker_reports_cancelled(api):
    wf_id = f"cancel-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": [{"id": "endless", "type": "python.yield", "config": {"code": ENDLESS_YIELD}},
                                  {"id": "after", "type": "python.map",
                                   "config": {"code": "def node(r):\n    return r\n"}}],
           "edges": [{"source": "endless", "target": "after"}]}
    assert api.post("/api/workflows", json=doc).status_code == 201
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    wait_until(lambda: any(n["status"] == "running" for n in api.get(f"/api/runs/{run_id}").json()["nodes"]),
               60, "the node to start")
    started = time.monotonic()
    assert api.post(f"/api/runs/{run_id}/cancel").status_code == 200
    run = wait_for_run(api, run_id, timeout_s=30)
    assert time.monotonic() - started < 20  # stopped: the node yields for ever (how fast: bench/cancel.py)
    assert run["status"] == "cancelled"
    # The worker's own report, not the launcher settling a killed process ("cancelled by user").
    assert run["error"] == "cancelled while node(s) ran: endless"
    nodes = {n["node_id"]: n for n in run["nodes"]}
    assert nodes["endless"]["status"] == "cancelled" and nodes["after"]["status"] == "not_run"
    assert nodes["endless"]["error"]["type"] == "RunCancelled"
    assert 'was cancelled while node "endless" ran' in nodes["endless"]["error"]["message"]
