"""The embedding service process: holds the model, batches requests, serves a Unix socket.

One per wirework server (started and supervised by the API, see supervisor.py). Every
process that needs vectors — the API training a learner, each run's labeling.enrich
node — sends texts here (wire format: stores/labeling/embedding_wire.py) instead of
loading the model itself.

- **One model in memory** per (model, device): CUDA with fp16 when torch sees a GPU,
  else CPU (`stores.labeling.embeddings.Embedder`). Loaded on the first request or on a
  `warm` request (the API warms it at start when a project has a trained learner).
- **Batching**: one encoder thread runs every request as a sorted-by-length pass, one
  forward batch at a time, shortest remaining pass first: a big request is sorted over
  all its texts (little padding) and a small one arriving meanwhile waits for one batch,
  not for the big pass. Small requests waiting at the same moment share one pass (full
  batches instead of half-empty ones).
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

# Requests waiting at the same moment for one model run as one pass while their texts
# together stay within this many: many small requests share full batches; a big request
# gets a pass of its own (sorted by length over all its texts, so little padding).
MERGE_TEXTS = 256


@dataclass
class _Job:
    model: str
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class _Pass:
    """Jobs run together: their texts are planned as one `EncodeWork`, batch by batch."""
    model: str
    jobs: list[_Job]
    order: int
    work: Any = None

    @property
    def size(self) -> int:
        return sum(len(job.texts) for job in self.jobs)


class Encoder:
    """The one thread that runs the model; `encode` blocks the caller until its texts are done.

    Scheduling is by forward batch, shortest remaining pass first: a big request (a run
    enriching 5,000 records) runs as one pass sorted over all its texts, and a small one
    that arrives meanwhile (another run's first batch, a training of a few labels) waits
    for one forward batch, not for the whole big pass."""

    def __init__(self, embedder_for: Callable[[str], Any]):
        self._embedder_for = embedder_for
        self._jobs: "queue.Queue[_Job | None]" = queue.Queue()
        self.forward_passes = 0
        self._passes_started = 0
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

    def _take_new(self, active: list[_Pass]) -> bool:
        """Move every waiting job into a pass (blocking only when nothing is in progress);
        False once stopped. Jobs that arrived together merge while they stay small."""
        fresh: list[_Pass] = []
        while True:
            try:
                job = self._jobs.get(block=not active and not fresh)
            except queue.Empty:
                break
            if job is None:
                for work in active + fresh:
                    for waiting in work.jobs:
                        waiting.error = RuntimeError("the embedding service stopped")
                        waiting.done.set()
                return False
            target = next((p for p in fresh if p.model == job.model and p.size + len(job.texts) <= MERGE_TEXTS),
                          None)
            if target is None:
                self._passes_started += 1
                fresh.append(_Pass(job.model, [job], self._passes_started))
            else:
                target.jobs.append(job)
        active.extend(fresh)
        return True

    def _finish(self, work: _Pass, error: BaseException | None) -> None:
        start = 0
        for job in work.jobs:
            if error is None:
                job.vectors = work.work.out[start:start + len(job.texts)]
            else:
                job.error = error
            start += len(job.texts)
            job.done.set()
        self.forward_passes += 1

    def _loop(self) -> None:
        active: list[_Pass] = []
        while self._take_new(active):
            if not active:
                continue
            # Shortest remaining pass first (a pass not planned yet counts all its texts);
            # ties in arrival order.
            current = min(active, key=lambda p: (p.work.remaining if p.work is not None else p.size, p.order))
            try:
                embedder = self._embedder_for(current.model)
                if current.work is None:
                    current.work = embedder.plan([t for job in current.jobs for t in job.texts])
                finished = embedder.step(current.work)
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                active.remove(current)
                self._finish(current, exc)
                continue
            if finished:
                active.remove(current)
                self._finish(current, None)


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
