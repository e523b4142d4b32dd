"""The embedding service process: holds the model, batches requests, serves a Unix socket.

One per wirework server (started and supervised by the API, see supervisor.py). Every
process that needs vectors — the API training a learner, each run's labeling.enrich
node — sends texts here (wire format: stores/labeling/embedding_wire.py) instead of
loading the model itself.

- **One model in memory** per (model, device): CUDA with fp16 when torch sees a GPU,
  else CPU (`stores.labeling.embeddings.Embedder`). Loaded on the first request or on a
  `warm` request (the API warms it at start when a project has a trained learner).
- **Batching**: one encoder thread takes every request waiting at that moment for the
  same model and runs them as one sorted-by-length pass, so two runs enriching at once
  share forward passes instead of taking turns with half-empty batches.
- **One vector cache** per (model, text hash) for the whole server (vector_cache.py):
  identical texts are computed once, whichever project or run asks.
- Counters (`stats`) say how many texts were asked for, served from the cache and
  computed: tests use them to prove who did the work.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from engine.embedding.vector_cache import VectorCache, text_hash
from stores.labeling.embedding_wire import FrameError, recv_frame, send_frame

log = logging.getLogger("wirework.embedding")

# Texts the encoder takes in one pass when several requests are waiting: enough to fill
# batches well, small enough that a newcomer does not wait behind minutes of work.
MAX_PASS_TEXTS = 2048


@dataclass
class _Job:
    model: str
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: BaseException | None = None


class Encoder:
    """The one thread that runs the model; `encode` blocks the caller until its texts are done."""

    def __init__(self, embedder_for: Callable[[str], Any]):
        self._embedder_for = embedder_for
        self._jobs: "queue.Queue[_Job | None]" = queue.Queue()
        self._held: list[_Job] = []  # jobs of another model taken while draining
        self.forward_passes = 0
        self._thread = threading.Thread(target=self._loop, name="embedding-encoder", daemon=True)
        self._thread.start()

    def encode(self, model: str, texts: list[str]) -> np.ndarray:
        job = _Job(model, texts)
        self._jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.vectors is not None
        return job.vectors

    def warm(self, model: str) -> None:
        threading.Thread(target=self._load, args=(model,), name="embedding-warm", daemon=True).start()

    def _load(self, model: str) -> None:
        try:
            self._embedder_for(model).ensure_loaded()
        except Exception:  # noqa: BLE001 - a failed warm-up shows again on the first request
            log.exception("could not load embedding model %s", model)

    def stop(self) -> None:
        self._jobs.put(None)

    def _next_pass(self) -> list[_Job] | None:
        first = self._held.pop(0) if self._held else self._jobs.get()
        if first is None:
            return None
        jobs, size = [first], len(first.texts)
        while size < MAX_PASS_TEXTS:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)
                break
            if job.model != first.model:
                self._held.append(job)
                continue
            jobs.append(job)
            size += len(job.texts)
        return jobs

    def _loop(self) -> None:
        while True:
            jobs = self._next_pass()
            if jobs is None:
                return
            texts = [t for job in jobs for t in job.texts]
            try:
                vectors = self._embedder_for(jobs[0].model).encode(texts)
                self.forward_passes += 1
                start = 0
                for job in jobs:
                    job.vectors = vectors[start:start + len(job.texts)]
                    start += len(job.texts)
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                for job in jobs:
                    job.error = exc
            for job in jobs:
                job.done.set()


class EmbeddingService:
    """Answers encode requests from the cache, then the encoder; thread-safe."""

    def __init__(self, cache: VectorCache, embedder_for: Callable[[str], Any]):
        self.cache = cache
        self.encoder = Encoder(embedder_for)
        self._embedder_for = embedder_for
        self._lock = threading.Lock()
        self.texts_requested = 0
        self.texts_cached = 0
        self.texts_computed = 0
        self.requests = 0

    def encode(self, model: str, texts: list[str]) -> tuple[np.ndarray, int, int]:
        """(vectors in input order, texts served from the cache, texts computed)."""
        hashes = [text_hash(t) for t in texts]
        unique: dict[str, str] = {}
        for h, t in zip(hashes, texts):
            unique.setdefault(h, t)
        found = self.cache.get(model, list(unique))
        missing = [h for h in unique if h not in found]
        if missing:
            fresh = self.encoder.encode(model, [unique[h] for h in missing])
            self.cache.put(model, missing, fresh)
            found.update(zip(missing, fresh))
        dim = len(next(iter(found.values()))) if found else 0
        out = np.empty((len(texts), dim), dtype="<f4")
        for row, h in enumerate(hashes):
            out[row] = found[h]
        with self._lock:
            self.requests += 1
            self.texts_requested += len(texts)
            self.texts_cached += len(unique) - len(missing)
            self.texts_computed += len(missing)
        return out, len(unique) - len(missing), len(missing)

    def stats(self) -> dict[str, Any]:
        from stores.labeling.embeddings import loaded_embedders

        with self._lock:
            return {"requests": self.requests, "texts_requested": self.texts_requested,
                    "texts_cached": self.texts_cached, "texts_computed": self.texts_computed,
                    "forward_passes": self.encoder.forward_passes, "cache_size": self.cache.count(),
                    "models": loaded_embedders(), "pid": os.getpid()}

    def handle(self, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        op = header.get("op")
        if op == "encode":
            model, texts = header.get("model"), header.get("texts")
            if not isinstance(model, str) or not isinstance(texts, list) or \
                    not all(isinstance(t, str) for t in texts):
                return {"ok": False, "kind": "invalid", "error": "encode needs a model name and a list of texts"}, b""
            if not texts:
                return {"ok": True, "n": 0, "dim": 0, "cached": 0, "computed": 0}, b""
            vectors, cached, computed = self.encode(model, texts)
            return ({"ok": True, "n": vectors.shape[0], "dim": vectors.shape[1], "cached": cached,
                     "computed": computed}, vectors.tobytes())
        if op == "stats":
            return {"ok": True, **self.stats()}, b""
        if op == "warm":
            model = header.get("model")
            if not isinstance(model, str):
                return {"ok": False, "kind": "invalid", "error": "warm needs a model name"}, b""
            self.encoder.warm(model)
            return {"ok": True}, b""
        if op == "ping":
            return {"ok": True}, b""
        return {"ok": False, "kind": "invalid", "error": f"unknown op {op!r}"}, b""


class _Handler(socketserver.BaseRequestHandler):
    server: "_SocketServer"

    def handle(self) -> None:
        sock: socket.socket = self.request
        while True:
            try:
                header, _ = recv_frame(sock)
            except (FrameError, OSError):
                return
            try:
                answer, payload = self.server.service.handle(header)
            except Exception as exc:  # noqa: BLE001 - the client gets the reason, the service stays up
                log.exception("embedding request failed")
                answer, payload = {"ok": False, "kind": "failed", "error": f"{type(exc).__name__}: {exc}"}, b""
            try:
                send_frame(sock, answer, payload)
            except OSError:
                return


class _SocketServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, service: EmbeddingService):
        self.service = service
        super().__init__(path, _Handler)


def serve(socket_path: str | Path, cache_path: str | Path, preload: str | None = None,
          ready: Callable[[], None] | None = None, stop: threading.Event | None = None) -> None:
    """Serve until `stop` is set (or forever). The socket is created 0600, in a folder the
    caller made private: only this OS user's processes can connect."""
    from stores.labeling.embeddings import get_embedder

    socket_path = str(socket_path)
    if os.path.exists(socket_path):
        os.unlink(socket_path)  # a stale socket of a service that was killed
    cache = VectorCache(cache_path)
    service = EmbeddingService(cache, get_embedder)
    old_umask = os.umask(0o177)
    try:
        server = _SocketServer(socket_path, service)
    finally:
        os.umask(old_umask)
    if preload:
        service.encoder.warm(preload)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="embedding-socket", daemon=True)
    thread.start()
    log.info("embedding service listening on %s (cache %s)", socket_path, cache_path)
    if ready is not None:
        ready()
    try:
        (stop or threading.Event()).wait()
    finally:
        server.shutdown()
        server.server_close()
        service.encoder.stop()
        cache.close()
        try:
            os.unlink(socket_path)
        except FileNotFoundError:
            pass
        log.info("embedding service stopped after %d requests", service.requests)
