"""A 500 that still happens (a bug, not bad input) is one log line with a request id, the
answer carries that id, and the client's keep-alive connection stays usable.

The app is the real error handling (`install_error_handlers`) behind uvicorn on
127.0.0.1, with one route that fails the way a bug does; the wirework API itself must not
have such a route.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI

from engine.server.errors import install_error_handlers
from tests.server_harness import free_port


@pytest.fixture
def failing_server():
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom():
        return {"value": {}["missing"]}  # a KeyError, as a bug would raise

    @app.get("/ok")
    def ok():
        return {"ok": True}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(10)


def test_a_500_is_one_line_with_an_id_and_keeps_the_connection(failing_server, caplog):
    conn = http.client.HTTPConnection("127.0.0.1", failing_server, timeout=10)
    with caplog.at_level(logging.ERROR):
        conn.request("GET", "/boom")
        response = conn.getresponse()
        body = response.read().decode()
    assert response.status == 500
    request_id = response.getheader("x-request-id")
    assert request_id and request_id in body and '"internal_error"' in body
    assert "missing" not in body  # nothing of the exception leaks to the client
    lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    message = lines[0].getMessage()
    assert request_id in message and "GET /boom" in message and "KeyError" in message
    assert "test_internal_errors.py:" in message and "\n" not in message and lines[0].exc_info is None
    sock = conn.sock
    conn.request("GET", "/ok")  # the same connection: the server did not close it
    again = conn.getresponse()
    assert again.status == 200 and again.read() == b'{"ok":true}'
    assert conn.sock is sock
    conn.close()
