"""The launcher's side of the run host (engine/execution/run_processes.py) when the host
cannot start: the runs waiting for it must end rather than stay queued for ever."""

from __future__ import annotations

import os
import sys
import threading

from engine.execution.run_processes import HOST_START_ATTEMPTS, ForkServer


def test_runs_waiting_for_a_host_that_never_starts_end_with_its_exit_code():
    # A "host" that exits with code 3 at once, as a broken install would.
    broken = ForkServer([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ))
    broken.start()
    try:
        handle = broken.run("r1", {"kind": "run", "workflow": {"id": "w"}, "trigger": {}, "token": "t"})
        done = threading.Event()
        result: list[int] = []
        threading.Thread(target=lambda: (result.append(handle.wait()), done.set()), daemon=True).start()
        assert done.wait(30), "the run was left waiting for a host that cannot start"
        assert result == [3]
        assert broken.health()["host_restarts"] >= HOST_START_ATTEMPTS
    finally:
        broken.shutdown(5.0)
