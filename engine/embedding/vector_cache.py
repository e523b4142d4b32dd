"""The vector cache of the embedding service: one DuckDB file, keyed by (model, text hash).

Shared by every project and every run on the server: two projects over one store, or a
run enriching records a project already embedded, compute each text once. Vectors are
stored as raw float32 bytes. The text hash is SHA-256 of the UTF-8 text, so the cache
never holds the texts themselves (they may be private records; the vectors are derived
data of the same sensitivity, kept in the data folder like the stores).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
)
"""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class VectorCache:
    """get/put of vectors by (model, text hash); thread-safe (one lock: each call is a few ms)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._con = duckdb.connect(str(self.path))
        self._con.execute(_SCHEMA).fetchall()
        self._lock = threading.Lock()

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """{hash: vector} of the hashes the cache holds for `model`."""
        if not hashes:
            return {}
        with self._lock, self._con.cursor() as cursor:
            rows = cursor.execute(
                "SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN (SELECT unnest(?))",
                [model, hashes]).fetchall()
        return {h: np.frombuffer(blob, dtype="<f4") for h, blob in rows}

    def put(self, model: str, hashes: list[str], vectors: np.ndarray) -> None:
        if not hashes:
            return
        blobs = [np.ascontiguousarray(v, dtype="<f4").tobytes() for v in vectors]
        table = pa.table({"model": pa.array([model] * len(hashes), pa.string()),
                          "text_hash": pa.array(hashes, pa.string()),
                          "vector": pa.array(blobs, pa.binary())})
        # A cursor per call, every result fetched: DuckDB refuses new work on a connection
        # that still holds an unfinished result.
        with self._lock, self._con.cursor() as cursor:
            cursor.register("new_vectors", table)
            try:
                # Two requests may compute the same text at once: the first insert wins.
                cursor.execute("INSERT OR IGNORE INTO vectors SELECT model, text_hash, vector FROM new_vectors"
                               ).fetchall()
            finally:
                cursor.unregister("new_vectors")

    def count(self) -> int:
        with self._lock, self._con.cursor() as cursor:
            row = cursor.execute("SELECT count(*) FROM vectors").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._con.close()
