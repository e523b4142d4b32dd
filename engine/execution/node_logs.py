"""Per-node log capture: `print` and `ctx.logger` output of a node land in that node's log.

Nodes run concurrently in Prefect's worker threads, so output is routed by a context
variable rather than by swapping `sys.stdout` per node (which would mix threads).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
from contextvars import ContextVar
from typing import Iterator

MAX_LOG_CHARS = 256_000
_current: ContextVar["NodeLog | None"] = ContextVar("wirework_node_log", default=None)
_install_lock = threading.Lock()


class NodeLog:
    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._lock = threading.Lock()
        self.truncated = False

    def write(self, text: str) -> None:
        with self._lock:
            if self._buffer.tell() + len(text) > MAX_LOG_CHARS:
                if not self.truncated:
                    self._buffer.write("\n[log truncated: node printed more than 256 kB]\n")
                    self.truncated = True
                return
            self._buffer.write(text)

    def text(self) -> str:
        with self._lock:
            return self._buffer.getvalue()


class _RoutingStream(io.TextIOBase):
    """Stands in for sys.stdout/stderr: writes go to the running node's log, if any."""

    def __init__(self, original):
        self.original = original

    def write(self, text: str) -> int:
        log = _current.get()
        if log is None:
            return self.original.write(text)
        log.write(text)
        return len(text)

    def flush(self) -> None:
        if _current.get() is None:
            self.original.flush()

    def isatty(self) -> bool:
        return self.original.isatty()

    @property
    def encoding(self):
        return getattr(self.original, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.original.fileno()


class _NodeLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = _current.get()
        if log is not None:
            log.write(self.format(record) + "\n")


_handler = _NodeLogHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
NODE_LOGGER = "wirework.node"


def install() -> None:
    """Route stdout/stderr through the node-log router (idempotent)."""
    with _install_lock:
        if not isinstance(sys.stdout, _RoutingStream):
            sys.stdout = _RoutingStream(sys.stdout)
        if not isinstance(sys.stderr, _RoutingStream):
            sys.stderr = _RoutingStream(sys.stderr)
        logger = logging.getLogger(NODE_LOGGER)
        if _handler not in logger.handlers:
            logger.addHandler(_handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


def node_logger(node_id: str) -> logging.Logger:
    return logging.getLogger(f"{NODE_LOGGER}.{node_id}")


@contextlib.contextmanager
def capture(log: NodeLog) -> Iterator[NodeLog]:
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)
