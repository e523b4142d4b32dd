"""Removes staged writes that were abandoned (issue 20): a run killed between its first
batch and its commit leaves a write open in the stores, with its batches on disk under
`<data folder>/staging/`. A thread of the API process asks the stores every
`SWEEP_EVERY_S` to delete writes that received no batch for an hour
(`LocalStoreClient.remove_abandoned_writes`); the folder is emptied at start anyway.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("wirework.api")
SWEEP_EVERY_S = 300.0


class StagedWriteSweeper:
    def __init__(self, stores: Any, every_s: float = SWEEP_EVERY_S):
        self._stores = stores
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="staged-write-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self._stores.remove_abandoned_writes()
            except Exception:  # the stores closing under it, a disk error: try again next period
                log.exception("removing abandoned staged writes failed")
