"""The embedding service process on its own (engine/embedding): small requests overtake a
big pass and those arriving together run as one pass, the vector cache outlives a restart, vectors equal the
in-process encoder's, bad requests get an error answer and the service stays up, and
only this OS user can reach its socket."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from stores.labeling.embedding_client import EmbeddingServiceClient, EmbeddingServiceUnavailable
from stores.labeling.embedding_wire import recv_frame, send_frame

MODEL = "all-MiniLM-L6-v2"
ROOT = Path(__file__).resolve().parents[2]


def start(folder: Path) -> tuple[subprocess.Popen, EmbeddingServiceClient]:
    sock = folder / "e.sock"
    process = subprocess.Popen([sys.executable, "-m", "engine.embedding", "--socket", str(sock),
                                "--cache", str(folder / "cache.duckdb")], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=open(folder / "log", "ab"))
    client = EmbeddingServiceClient(sock, connect_timeout_s=60)
    client.stats()  # waits until it listens
    return process, client


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(30)


@pytest.fixture
def folder():
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="ww-emb-"))  # short: a socket path must stay < 108 bytes
    path.chmod(0o700)
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def test_small_requests_overtake_a_big_pass_share_one_and_vectors_match_the_local_encoder(folder):
    """A run's first batch must not wait behind another run's 5,000 texts: the encoder runs
    the shortest remaining pass first, batch by batch; small requests that arrive together
    share one pass; and the vectors are the in-process encoder's."""
    process, client = start(folder)
    try:
        client.embed(MODEL, ["warm up"])  # loads the model
        passes = client.stats()["forward_passes"]
        # Long texts (~250 tokens each): one forward batch of 64 takes a while on CPU.
        long_review = " ".join(["a film that is long and slow and yet worth every minute of it"] * 20)
        big = [f"review number {i}: {long_review}" for i in range(192)]  # 3 forward batches: still running when the small ones come
        small = [[f"short text {i}"] for i in range(3)]
        results: dict[int, np.ndarray] = {}
        finished: list[int] = []

        def ask(i: int, texts: list[str]) -> None:
            results[i] = EmbeddingServiceClient(client.socket_path).embed(MODEL, texts)
            finished.append(i)

        first = threading.Thread(target=ask, args=(-1, big))
        first.start()
        time.sleep(1.0)  # the big request is in the encoder now
        others = [threading.Thread(target=ask, args=(i, texts)) for i, texts in enumerate(small)]
        for t in others:
            t.start()
        for t in [first, *others]:
            t.join(300)
        assert finished[-1] == -1 and sorted(finished[:3]) == [0, 1, 2]  # the small ones did not wait
        # One pass for the big request, one for the three that arrived together.
        assert client.stats()["forward_passes"] - passes == 2
        from stores.labeling import get_embedder

        local = get_embedder(MODEL, "cpu").encode(["short text 1", big[7]])
        assert np.allclose(results[1][0], local[0], atol=1e-5)
        assert np.allclose(results[-1][7], local[1], atol=1e-5)
    finally:
        stop(process)


def test_the_cache_outlives_a_restart_and_bad_requests_leave_it_up(folder):
    process, client = start(folder)
    try:
        first = client.embed(MODEL, ["the same text", "the same text", "another"])
        assert np.array_equal(first[0], first[1])
        stats = client.stats()
        assert stats["texts_computed"] == 2 and stats["cache_size"] == 2
        # A frame that is not JSON, then an encode without texts: answers, not a crash.
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.connect(client.socket_path)
        send_frame(raw, {"op": "encode", "model": MODEL, "texts": "not a list"})
        answer, _ = recv_frame(raw)
        assert answer["ok"] is False and "list of texts" in answer["error"]
        raw.sendall(b"\x00\x00\x00\x05nope!")
        raw.close()
        with pytest.raises(EmbeddingServiceUnavailable, match="could not embed"):
            client.embed("no-such-model", ["x"])
        assert client.stats()["texts_computed"] == 2  # still up
    finally:
        stop(process)
    client.close()
    process, client = start(folder)
    try:
        again = client.embed(MODEL, ["another", "the same text"])
        assert np.array_equal(again[1], first[0])
        stats = client.stats()
        assert stats["texts_computed"] == 0 and stats["texts_cached"] == 2
        assert not any(m["loaded"] for m in stats["models"])  # served without loading the model
    finally:
        stop(process)


def test_only_this_user_can_connect(folder):
    process, client = start(folder)
    try:
        mode = os.stat(client.socket_path).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    finally:
        stop(process)


def test_the_vector_cache_takes_writes_and_reads_from_many_threads(tmp_path):
    """Requests of several runs reach the cache at once (a DuckDB connection that still held
    an unfinished INSERT result refused the next call: a 5,000-record run failed)."""
    from engine.embedding.vector_cache import VectorCache

    cache = VectorCache(tmp_path / "cache.duckdb")
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(20):
                hashes = [f"{k}-{i}-{j}" for j in range(128)]
                vectors = np.random.default_rng(i).random((128, 8), dtype=np.float32)
                cache.put("m", hashes, vectors)
                got = cache.get("m", hashes)
                assert np.array_equal(got[hashes[5]], vectors[5])
                cache.count()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and cache.count() == 3 * 20 * 128
    cache.close()
