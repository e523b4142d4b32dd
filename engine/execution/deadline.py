"""Running a node's work with a time limit that holds even for blocking calls.

Prefect's timeout for a sync task cannot interrupt a blocking call (ENVIRONMENT.md).
So the work runs in a daemon thread that we stop waiting for at the deadline: the
node fails with `NodeTimeout` at once, downstream nodes do not run, and the abandoned
thread is asked to stop (an async exception, which ends pure-Python loops) and is in
any case ended when the flow-run process exits. User code never runs in the API
process, so an abandoned thread can never outlive a run inside the server.
"""

from __future__ import annotations

import ctypes
import threading
from contextvars import copy_context
from typing import Any, Callable


class NodeTimeout(Exception):
    pass


def call_with_deadline(fn: Callable[[], Any], timeout_s: float | None, what: str) -> Any:
    if timeout_s is None:
        return fn()
    outcome: dict[str, Any] = {}
    context = copy_context()  # keep the node's log capture and Prefect context

    def target() -> None:
        try:
            outcome["value"] = context.run(fn)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"wirework-{what}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        _raise_in_thread(worker, NodeTimeout)
        raise NodeTimeout(f"{what} did not finish within {timeout_s:g} s and was stopped")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))
