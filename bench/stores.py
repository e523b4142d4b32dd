"""Benchmark of the shared stores (not part of the tests; prints JSON).

1. Upsert of 100k new records of a realistic shape (title, url, a body of a few hundred
   characters, a nested dict) through `LocalStoreClient.upsert` — validation, orjson
   encoding into one Arrow buffer, one transaction — against a raw DuckDB Arrow insert
   of the same records (`pa.Table.from_pylist` + `CREATE TABLE AS`) in the same run.
   Target: the upsert reaches ≥ 60% of the raw speed.
2. Upsert of 100k records of which half already exist (and changed), into a store of
   100k: our UPDATE-changed + INSERT-new path against `INSERT … ON CONFLICT DO UPDATE`
   of the same Arrow batch into the same kind of table.
3. Incremental read of 1,000 new records from a 1,000,000-record store
   (`read_since` from a cursor, records decoded). Target: ≤ 50 ms.

Each timing is the best of `--rounds` on fresh files in a temp folder; the fresh-upsert
comparison also reports process CPU time, which a busy machine disturbs less.

    .venv/bin/python bench/stores.py [--records 100000] [--big 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402

from stores import LocalStoreClient  # noqa: E402
from stores.batch import encode_batch  # noqa: E402

WORDS = ["market", "shares", "rise", "fall", "report", "quarter", "growth", "ACME", "Globex", "outlook",
         "analysts", "profit", "loss", "deal", "merger", "rates", "inflation", "jobs", "energy", "tech"]


def articles(start: int, count: int, version: int = 1, seed: int = 7) -> list[dict]:
    rng = random.Random(seed + start + version)
    out = []
    for i in range(start, start + count):
        title = " ".join(rng.choices(WORDS, k=8))[:60]
        body = " ".join(rng.choices(WORDS, k=50))[:300]
        out.append({
            "id": f"article-{i:08d}",
            "title": title,
            "url": f"https://news.example.com/{i}/{''.join(rng.choices(string.ascii_lowercase, k=12))}",
            "body": body,
            "meta": {"source": rng.choice(["wire", "blog", "paper"]), "lang": "en", "score": rng.random(),
                     "tags": rng.sample(WORDS, 3), "version": version},
        })
    return out


CPU: list[float] = []  # process CPU seconds of the last `timed` call (all threads)


def timed(fn) -> float:
    """Wall seconds of `fn()`; its CPU seconds go to CPU. On a busy machine wall time
    swings with other load, CPU time much less, so both are reported."""
    cpu = time.process_time()
    started = time.perf_counter()
    fn()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started


def best(times: list[float]) -> float:
    return round(min(times), 4)


def bench_fresh_upsert(tmp: Path, records: list[dict], rounds: int) -> dict:
    ours, raw, ours_cpu, raw_cpu = [], [], [], []
    for r in range(rounds):
        # Alternate which goes first, so neither always inherits the other's freed memory.
        for which in (("ours", "raw") if r % 2 == 0 else ("raw", "ours")):
            if which == "ours":
                with LocalStoreClient(tmp / f"fresh-{r}") as client:
                    ours.append(timed(lambda: client.upsert("news", records, create=True)))
                    ours_cpu.append(CPU[-1])
            else:
                con = duckdb.connect(str(tmp / f"raw-{r}.duckdb"))

                def raw_insert() -> None:
                    table = pa.Table.from_pylist(records)
                    con.register("incoming", table)
                    con.execute("CREATE TABLE raw AS SELECT * FROM incoming")

                raw.append(timed(raw_insert))
                raw_cpu.append(CPU[-1])
                con.close()
    return {
        "records": len(records),
        "upsert_s": best(ours),
        "raw_arrow_insert_s": best(raw),
        "upsert_records_per_s": round(len(records) / min(ours)),
        "raw_records_per_s": round(len(records) / min(raw)),
        "upsert_share_of_raw_speed": round(min(raw) / min(ours), 3),
        "upsert_cpu_s": best(ours_cpu),
        "raw_cpu_s": best(raw_cpu),
        "upsert_share_of_raw_speed_by_cpu": round(min(raw_cpu) / min(ours_cpu), 3),
        "target_share": 0.6,
    }


def bench_half_existing(tmp: Path, count: int, rounds: int) -> dict:
    base = articles(0, count)
    batch = articles(count // 2, count, version=2)  # first half: changed existing ids; second half: new
    ours, on_conflict, counts = [], [], None
    for r in range(rounds):
        with LocalStoreClient(tmp / f"half-{r}") as client:
            client.upsert("news", base, create=True)
            result: dict = {}
            ours.append(timed(lambda: result.update(client.upsert("news", batch))))
            counts = result
        # The same batch (same encoding) through ON CONFLICT DO UPDATE into the same table shape.
        con = duckdb.connect(str(tmp / f"conflict-{r}.duckdb"))
        con.execute("CREATE TABLE t (id VARCHAR PRIMARY KEY, data JSON NOT NULL, seq BIGINT NOT NULL, "
                    "created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)")
        con.register("b", encode_batch("news", base))
        con.execute("INSERT INTO t SELECT id, data, ord + 1, now(), now() FROM b")

        def conflict_upsert() -> None:
            con.register("b", encode_batch("news", batch))
            con.execute("INSERT INTO t SELECT id, data, ord + 1000000, now(), now() FROM b ON CONFLICT (id) DO UPDATE "
                        "SET data = excluded.data, seq = excluded.seq, updated_at = excluded.updated_at")

        on_conflict.append(timed(conflict_upsert))
        con.close()
    return {"records": len(batch), "existing_before": len(base), "counts": counts,
            "upsert_s": best(ours), "on_conflict_do_update_s": best(on_conflict),
            "speedup_vs_on_conflict": round(min(on_conflict) / min(ours), 2)}


def bench_incremental(tmp: Path, big: int, new: int, rounds: int) -> dict:
    chunk = 100_000
    with LocalStoreClient(tmp / "big") as client:
        fill = 0.0
        for start in range(0, big, chunk):
            part = articles(start, min(chunk, big - start))
            fill += timed(lambda: client.upsert("news", part, create=True))
        cursor = client.describe_store("news")["last_seq"]
        client.upsert("news", articles(big, new))
        client._con.execute("CHECKPOINT")  # measure against the file as a long-lived store has it
        describe_s = timed(lambda: client.describe_store("news"))
        browse_s = timed(lambda: client.browse("news", where={"meta.source": "wire"}, limit=50, offset=1000))
        reads = []
        for _ in range(max(rounds, 5)):
            result: dict = {}
            reads.append(timed(lambda: result.update(client.read_since("news", cursor))))
            assert len(result["records"]) == new
    return {"store_records": big + new, "new_records": new, "fill_s": round(fill, 2),
            "read_since_s_best": best(reads), "read_since_s_median": round(statistics.median(reads), 4),
            "target_s": 0.05, "describe_store_s": round(describe_s, 4),
            "browse_filtered_page_s": round(browse_s, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    records = articles(0, args.records)
    with tempfile.TemporaryDirectory(prefix="wirework-bench-stores-") as name:
        tmp = Path(name)
        encode_batch("warm-up", records[:1000])  # first-call costs (imports, allocator) out of the timings
        report = {
            "benchmark": "stores",
            "duckdb": duckdb.__version__,
            "fresh_upsert": bench_fresh_upsert(tmp, records, args.rounds),
            "half_existing_upsert": bench_half_existing(tmp, args.records, args.rounds),
            "incremental_read": bench_incremental(tmp, args.big, args.new, args.rounds),
        }
    report["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)  # timings swing with other load
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
