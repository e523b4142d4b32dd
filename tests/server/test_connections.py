"""The API keeps an idle keep-alive connection open longer than clients keep theirs
(httpx and uvicorn both default to 5 s), so a client never sends on a connection the
server is closing — that request would fail with "connection reset by peer"."""

from __future__ import annotations

import socket
import time

from engine.cli.up import KEEP_ALIVE_S


def _request(sock: socket.socket, host: str) -> bytes:
    sock.sendall(f"GET /api/health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection instead of answering"
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_an_idle_connection_outlives_a_clients_5_s_keep_alive(server):
    assert KEEP_ALIVE_S > 5
    host = server.url.removeprefix("http://")
    address, port = host.split(":")
    with socket.create_connection((address, int(port)), timeout=10) as sock:
        assert _request(sock, host).startswith(b"HTTP/1.1 200")
        time.sleep(6.5)  # idle past uvicorn's default 5 s keep-alive
        sock.setblocking(False)
        try:
            closed = sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            closed = False  # nothing to read: still open
        sock.setblocking(True)
        assert not closed, "the server closed the idle connection"
        assert _request(sock, host).startswith(b"HTTP/1.1 200")  # and it still answers on it
