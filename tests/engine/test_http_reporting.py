"""Workers report run events to the API; a slow or briefly failing API must not turn a
finished run into a "crashed" one, so idempotent events are sent again."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
from werkzeug import Response

from engine.client.reporting import HttpRunObserver


def test_an_event_refused_with_5xx_is_sent_again(httpserver):
    answers = iter([Response("busy", status=503), Response("busy", status=502), Response(status=204)])
    received = []

    def handler(request):
        received.append((request.headers.get("Authorization"), request.get_json()))
        return next(answers)

    httpserver.expect_request("/api/internal/runs/r1/events", method="POST").respond_with_handler(handler)
    observer = HttpRunObserver(httpserver.url_for(""), "tok")
    observer.run_finished("r1", "completed", None, datetime.now(timezone.utc))
    assert len(received) == 3 and received[-1][0] == "Bearer tok"
    [event] = received[-1][1]["events"]
    assert event["event"] == "run_finished" and event["data"]["status"] == "completed"


def test_a_4xx_is_not_retried_and_fails_loudly(httpserver):
    httpserver.expect_oneshot_request("/api/internal/runs/r2/events", method="POST").respond_with_data("no", status=403)
    observer = HttpRunObserver(httpserver.url_for(""), "wrong")
    with pytest.raises(httpx.HTTPStatusError):
        observer.run_finished("r2", "completed", None, datetime.now(timezone.utc))


def _node_result(run_id: str, node_id: str):
    from engine.model.runs import NodeResult
    from engine.model.statuses import NodeStatus

    return NodeResult(run_id=run_id, node_id=node_id, status=NodeStatus.COMPLETED, attempts=1, records_out=1)


def test_events_travel_together_and_a_node_start_is_sent_before_its_code_runs(httpserver):
    bodies = []

    def handler(request):
        bodies.append(request.get_json())
        return Response(status=204)

    httpserver.expect_request("/api/internal/runs/r3/events", method="POST").respond_with_handler(handler)
    observer = HttpRunObserver(httpserver.url_for(""), "tok")
    now = datetime.now(timezone.utc)
    observer.node_started("r3", "a", 1, 1, now)
    assert len(bodies) == 1  # sent before returning: the node's code runs after it
    observer.node_finished(_node_result("r3", "a"))
    assert len(bodies) == 1  # queued
    observer.node_started("r3", "b", 1, 1, now)
    observer.node_finished(_node_result("r3", "b"))
    observer.run_finished("r3", "completed", None, now)
    assert [[(e["event"], e["data"].get("node_id")) for e in body["events"]] for body in bodies] == [
        [("node_started", "a")], [("node_finished", "a"), ("node_started", "b")],
        [("node_finished", "b"), ("run_finished", None)]]
