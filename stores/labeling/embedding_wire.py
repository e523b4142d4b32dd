"""The embedding service's wire format: length-prefixed frames over a Unix stream socket.

A frame is a 4-byte big-endian header length, the JSON header, then `payload_bytes` raw
bytes (the header says how many; 0 for most frames). Requests are headers only:

    {"op": "encode", "model": str, "texts": [str]}
    {"op": "stats"} | {"op": "warm", "model": str} | {"op": "ping"}

An encode answer is `{"ok": true, "n", "dim", "cached", "computed", "payload_bytes"}` followed
by n × dim float32 values (little-endian, row-major, in the order of the texts); any
failure is `{"ok": false, "error": str, "kind": str}`. Raw float bytes instead of JSON
numbers: 5,000 vectors of 384 floats are 7.7 MB either way in memory, but parsing them
from JSON would cost more than computing them on a GPU.

Shared by the service (engine/embedding) and its client (embedding_client.py), so both
agree on one definition.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_LENGTH = struct.Struct(">I")
# Generous for a request carrying thousands of texts, small enough that a garbage length
# prefix cannot make the reader allocate gigabytes.
MAX_HEADER_BYTES = 256 * 1024 * 1024


class FrameError(ConnectionError):
    """The peer closed the connection or sent something that is not a frame."""


def send_frame(sock: socket.socket, header: dict[str, Any], payload: bytes | memoryview = b"") -> None:
    body = json.dumps({**header, "payload_bytes": len(payload)}, separators=(",", ":")).encode()
    sock.sendall(_LENGTH.pack(len(body)) + body)
    if payload:
        sock.sendall(payload)


def _read_exactly(sock: socket.socket, size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            raise FrameError("the connection closed in the middle of a frame" if got else "the connection closed")
        got += n
    return buffer


def recv_frame(sock: socket.socket) -> tuple[dict[str, Any], bytearray]:
    """(header, payload) of the next frame; FrameError when the connection closed."""
    (length,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size))
    if length > MAX_HEADER_BYTES:
        raise FrameError(f"frame header of {length} bytes is over the {MAX_HEADER_BYTES}-byte limit")
    try:
        header = json.loads(_read_exactly(sock, length))
    except ValueError as exc:
        raise FrameError(f"frame header is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise FrameError("frame header is not a JSON object")
    size = header.get("payload_bytes", 0)
    if not isinstance(size, int) or size < 0:
        raise FrameError("frame header has an invalid payload_bytes")
    return header, _read_exactly(sock, size) if size else bytearray()
