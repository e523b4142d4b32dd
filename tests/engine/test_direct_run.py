"""ThreadedNodes (engine/execution/direct_run.py): a run's nodes on threads of this process,
as the run host's children run them — independent branches at the same time, a node
after its upstream nodes only, nothing after a failed node, retries, no retry once the
run is cancelled. In-process, without Prefect (no recorder)."""

from __future__ import annotations

import threading
import uuid

from engine.execution.direct_run import ThreadedNodes
from engine.execution.executor import RunEnvironment, execute_workflow, set_environment
from engine.execution.local_run import RunCollector
from engine.model.runs import trigger_record
from engine.model.statuses import NodeStatus, RunStatus


def _run(nodes: list[dict], edges: list[tuple[str, str]], collector: RunCollector | None = None):
    collector = collector or RunCollector()
    run_id = str(uuid.uuid4())
    doc = {"id": f"direct-{run_id[:8]}", "nodes": nodes,
           "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)]}
    set_environment(RunEnvironment(observer=collector, workflow=doc, trigger=trigger_record(run_id, "manual")))
    try:
        _, status, error, outputs = execute_workflow(doc["id"], None, None, run_id, ThreadedNodes())
    finally:
        set_environment(None)
    return status, error, {nid: r.status for nid, r in collector.nodes.items()}, collector


def _map(node_id: str, code: str, **extra) -> dict:
    return {"id": node_id, "type": "python.map", "config": {"code": code}, **extra}


PASS = "def node(record):\n    return record\n"


def test_two_branches_run_at_the_same_time_and_their_join_after_both():
    # Each branch waits for the other to have started: run one after the other, both would time out.
    barrier = "import threading\n_b = __import__('builtins').__dict__.setdefault('_wirework_test_barrier', threading.Barrier(2))\n"
    branch = barrier + "def node(record):\n    _b.wait(timeout=20)\n    return record\n"
    try:
        status, error, nodes, _ = _run([_map("src", PASS), _map("left", branch), _map("right", branch),
                                        _map("join", PASS)],
                                       [("src", "left"), ("src", "right"), ("left", "join"), ("right", "join")])
    finally:
        __import__("builtins").__dict__.pop("_wirework_test_barrier", None)
    assert (status, error) == (RunStatus.COMPLETED, None)
    assert set(nodes.values()) == {NodeStatus.COMPLETED}


def test_nothing_after_a_failed_node_runs_and_a_sibling_branch_still_does():
    status, error, nodes, _ = _run([_map("src", PASS), _map("boom", "def node(record):\n    raise ValueError('x')\n"),
                                    _map("after", PASS), _map("sibling", PASS)],
                                   [("src", "boom"), ("boom", "after"), ("src", "sibling")])
    assert status == RunStatus.FAILED and error == "node(s) failed: boom"
    assert nodes == {"src": NodeStatus.COMPLETED, "boom": NodeStatus.FAILED, "after": NodeStatus.NOT_RUN,
                     "sibling": NodeStatus.COMPLETED}


def test_a_failing_node_is_retried_until_it_passes():
    code = ("import builtins\n"
            "def node(record):\n"
            "    n = builtins.__dict__['_wirework_attempts'] = builtins.__dict__.get('_wirework_attempts', 0) + 1\n"
            "    if n < 3:\n"
            "        raise ValueError(f'attempt {n}')\n"
            "    return record\n")
    try:
        status, _, nodes, collector = _run([_map("flaky", code, retries=2)], [])
    finally:
        __import__("builtins").__dict__.pop("_wirework_attempts", None)
    assert status == RunStatus.COMPLETED and nodes == {"flaky": NodeStatus.COMPLETED}
    assert collector.nodes["flaky"].attempts == 3


class _CancelOnFailure(RunCollector):
    """Cancels the run when a node reports a failed attempt (as SIGTERM would, mid-run)."""

    active_cancel: threading.Event | None = None

    def node_finished(self, result) -> None:
        super().node_finished(result)
        if result.status == NodeStatus.RETRYING and self.active_cancel is not None:
            self.active_cancel.set()


def test_a_cancelled_run_does_not_retry_its_node(monkeypatch):
    collector = _CancelOnFailure()
    from engine.execution import executor

    original = executor.ActiveRun.__init__

    def keep_cancel_event(self, *args, **kwargs):
        original(self, *args, **kwargs)
        collector.active_cancel = self.cancel_event

    monkeypatch.setattr(executor.ActiveRun, "__init__", keep_cancel_event)
    status, _, nodes, _ = _run([_map("flaky", "def node(record):\n    raise ValueError('no')\n", retries=5,
                                     retry_delay_s=30)], [], collector)
    assert status == RunStatus.CANCELLED
    assert collector.nodes["flaky"].attempts == 1  # the 30 s retry never started
