"""Vectors from the server's embedding service, for any process on this machine.

`wirework up` runs one embedding service (engine/embedding) that holds the model and a
vector cache shared by every project; the API and every run worker reach it over a
Unix socket whose path is in `WIREWORK_EMBEDDING_SOCKET`, so no worker ever loads the
model (~300 MB and 4–10 s per process). `EmbeddingServiceClient.embed` has the shape of
`enrichment.Embed`; `encoder(model)` is what `LabelingService(embedder_factory=…)` takes.

`embeddings_for_this_process()` is the one decision of where vectors come from: the
service when this process was given one, else the model loaded here (a process with no
server, such as `wirework run` on a file or a benchmark).

A process keeps one connection per thread. When the service is restarting (its
supervisor brings it back) a call waits for it up to `connect_timeout_s`, then raises
`EmbeddingServiceUnavailable`; it never falls back to loading the model itself.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import numpy as np

from .embedding_wire import FrameError, recv_frame, send_frame
from .embeddings import ProgressCallback
from .errors import LabelingError
from .. import errors as family

SOCKET_ENV = "WIREWORK_EMBEDDING_SOCKET"
# Texts per request when the caller shows progress (a training job's done/total): progress
# moves every 512 texts.
REQUEST_TEXTS = 512
# Texts per request otherwise (a run's enrichment): the service sorts a request's texts by
# length before cutting forward batches, so the bigger the request, the less padding
# (5,000 review snippets in 256-text requests cost ~25% more token slots than in one).
# The service runs other requests' batches in between, so a big one blocks nobody.
MAX_REQUEST_TEXTS = 8192


class EmbeddingServiceUnavailable(LabelingError, family.Unavailable):
    """The embedding service could not be reached, or it failed to embed."""


class EmbeddingServiceClient:
    """A client of one embedding service socket; safe to share between threads."""

    def __init__(self, socket_path: str | os.PathLike[str], connect_timeout_s: float = 30.0):
        self.socket_path = str(socket_path)
        self.connect_timeout_s = connect_timeout_s
        self._local = threading.local()

    # -- connection ------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + self.connect_timeout_s
        delay = 0.05
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.socket_path)
                return sock
            except OSError as exc:
                sock.close()
                if time.monotonic() + delay > deadline:
                    raise EmbeddingServiceUnavailable(
                        f"the embedding service at {self.socket_path} is not reachable: {exc}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _call(self, header: dict[str, Any]) -> tuple[dict[str, Any], bytearray]:
        """One request/answer; reconnects once if a kept connection went stale (the service
        restarted between two calls)."""
        for attempt in (0, 1):
            sock = getattr(self._local, "sock", None)
            fresh = sock is None
            if sock is None:
                sock = self._local.sock = self._connect()
            try:
                send_frame(sock, header)
                answer, payload = recv_frame(sock)
                break
            except (OSError, FrameError) as exc:
                sock.close()
                self._local.sock = None
                if fresh or attempt:
                    raise EmbeddingServiceUnavailable(f"the embedding service at {self.socket_path} failed: "
                                                      f"{exc}") from exc
        if not answer.get("ok"):
            raise EmbeddingServiceUnavailable(f"the embedding service could not embed: {answer.get('error')}")
        return answer, payload

    def close(self) -> None:
        sock = getattr(self._local, "sock", None)
        if sock is not None:
            sock.close()
            self._local.sock = None

    # -- requests ---------------------------------------------------------------------
    def embed(self, model: str, texts: list[str], progress: ProgressCallback | None = None) -> np.ndarray:
        """Vectors for `texts` (float32, (len(texts), dim)), in input order: in requests of
        `REQUEST_TEXTS` when `progress` is given, else of up to `MAX_REQUEST_TEXTS`."""
        parts: list[np.ndarray] = []
        total = len(texts)
        size = REQUEST_TEXTS if progress is not None else MAX_REQUEST_TEXTS
        for start in range(0, total, size):
            chunk = [t if isinstance(t, str) else str(t) for t in texts[start:start + size]]
            answer, payload = self._call({"op": "encode", "model": model, "texts": chunk})
            parts.append(np.frombuffer(payload, dtype="<f4").reshape(answer["n"], answer["dim"]))
            if progress is not None:
                progress(min(start + size, total), total)
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        return parts[0] if len(parts) == 1 else np.vstack(parts)

    def encoder(self, model: str) -> "ServiceEncoder":
        """An object with `encode(texts, progress)` for `model` (the Embedder interface)."""
        return ServiceEncoder(self, model)

    def stats(self) -> dict[str, Any]:
        """The service's counters: texts asked for, computed, served from the cache, models."""
        return self._call({"op": "stats"})[0]

    def warm(self, model: str) -> None:
        """Ask the service to load `model` now (it answers at once and loads in the background)."""
        self._call({"op": "warm", "model": model})


class ServiceEncoder:
    def __init__(self, client: EmbeddingServiceClient, model: str):
        self.client, self.model_name = client, model

    def encode(self, texts: list[str], progress: ProgressCallback | None = None) -> np.ndarray:
        return self.client.embed(self.model_name, texts, progress)


_clients: dict[str, EmbeddingServiceClient] = {}
_clients_lock = threading.Lock()


def service_client(socket_path: str | None = None) -> EmbeddingServiceClient | None:
    """The process-wide client of the service in `WIREWORK_EMBEDDING_SOCKET` (or `socket_path`);
    None when this process was given no service."""
    path = socket_path or os.environ.get(SOCKET_ENV)
    if not path:
        return None
    with _clients_lock:
        client = _clients.get(path)
        if client is None:
            client = _clients[path] = EmbeddingServiceClient(path)
        return client


def embeddings_for_this_process():
    """The `Embed` this process uses: the embedding service when it has one, else the local model."""
    client = service_client()
    if client is not None:
        return client.embed
    from .enrichment import local_embeddings

    return local_embeddings


def embedder_factory_for_this_process():
    """The `model -> encoder` factory for `LabelingService`: the service's, else the local one."""
    client = service_client()
    if client is not None:
        return client.encoder
    from .embeddings import get_embedder

    return get_embedder
