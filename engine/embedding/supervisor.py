"""Starting, watching and stopping the embedding service process for one server.

`EmbeddingSupervisor(data_home).start()` spawns `python -m engine.embedding` with its
socket in a fresh private folder (0700, under the system temp folder: a socket path
must stay under ~108 bytes, which a data folder deep in a tree would not), its vector
cache in the data folder and its log in `embeddings.log` there. A watcher thread
restarts the service with backoff if it dies; clients wait for it meanwhile (see
stores/labeling/embedding_client.py). The watcher thread is also the one that spawns,
so the child's PDEATHSIG (tied by Linux to the spawning *thread*) fires only when the
server goes.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger("wirework.embedding")

CACHE_FILE = "embeddings.duckdb"
LOG_FILE = "embeddings.log"
_MAX_BACKOFF_S = 30.0


class EmbeddingSupervisor:
    def __init__(self, data_home: Path, preload: str | None = None):
        self.data_home = Path(data_home)
        self.preload = preload
        self._folder = Path(tempfile.mkdtemp(prefix="wirework-embed-"))  # mkdtemp: mode 0700
        self.socket_path = str(self._folder / "embeddings.sock")
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.restarts = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="embedding-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "engine.embedding", "--socket", self.socket_path,
                   "--cache", str(self.data_home / CACHE_FILE)]
        if self.preload:
            command += ["--preload", self.preload]
        with open(self.data_home / LOG_FILE, "ab") as log_file:
            return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd=str(Path(__file__).resolve().parents[2]))

    def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                self._process = self._spawn()
            except OSError as exc:
                log.error("cannot start the embedding service: %s", exc)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            code = self._process.wait()
            if self._stopping.is_set():
                return
            self.restarts += 1
            log.warning("the embedding service exited with code %s; restarting in %.0f s (see %s)", code, backoff,
                        self.data_home / LOG_FILE)
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def alive(self) -> bool:
        return self.pid is not None

    def stop(self, grace_s: float = 5.0) -> None:
        self._stopping.set()
        process = self._process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(grace_s)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._thread is not None:
            self._thread.join(grace_s)
        shutil.rmtree(self._folder, ignore_errors=True)
