"""Local TCP ports for the processes `wirework up` starts: is one free, pick a free one."""

from __future__ import annotations

import socket


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now; another process may still bind it before its user does."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
