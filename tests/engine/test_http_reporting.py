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
    assert received[-1][1]["event"] == "run_finished" and received[-1][1]["data"]["status"] == "completed"


def test_a_4xx_is_not_retried_and_fails_loudly(httpserver):
    httpserver.expect_oneshot_request("/api/internal/runs/r2/events", method="POST").respond_with_data("no", status=403)
    observer = HttpRunObserver(httpserver.url_for(""), "wrong")
    with pytest.raises(httpx.HTTPStatusError):
        observer.run_finished("r2", "completed", None, datetime.now(timezone.utc))
