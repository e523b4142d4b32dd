"""Staged writes (`upsert_batches`, issue 20) on real DuckDB files: the same rows, counts
and seqs as one upsert of the concatenation; all or nothing; no staging files left behind;
the DuckDB memory setting; stores made before issue 20 lose their primary key once."""

from __future__ import annotations

import duckdb
import pytest

from stores import LocalStoreClient, RecordInvalid, WriteNotFound
from stores.duckdb_memory import MEMORY_ENV, memory_mb
from tests.store_helpers import data_dir  # noqa: F401  (fixture)

# Ids repeated within a batch and across batches, an empty batch, and (second round) ids
# that exist with the same data, with changed data, and new ones.
ROUND_1 = [[{"id": "a", "v": 1}, {"id": "b", "v": 1}, {"id": "a", "v": 2}],
           [], [{"id": "c", "v": 1}, {"id": "b", "v": 3}], [{"id": "d", "v": 1}, {"id": "a", "v": 4}]]
ROUND_2 = [[{"id": "a", "v": 4}, {"id": "new1"}], [{"id": "b", "v": 9}, {"id": "new1", "x": 1}], [{"id": "new2"}]]


def rows_of(data_dir, store):
    con = duckdb.connect(str(data_dir / "stores.duckdb"), read_only=True)
    try:
        rows = con.execute(f'SELECT id, data::VARCHAR, seq FROM "store_{store}" ORDER BY seq').fetchall()
        last_seq = con.execute("SELECT last_seq FROM _stores WHERE name = ?", [store]).fetchall()[0][0]
    finally:
        con.close()
    return rows, last_seq


def staging_files(data_dir):
    return [p for p in (data_dir / "staging").rglob("*") if p.is_file()]


def test_a_staged_write_equals_one_upsert_of_the_concatenation(tmp_path):
    one, staged = tmp_path / "one", tmp_path / "staged"
    for batches, create in ((ROUND_1, True), (ROUND_2, False)):
        with LocalStoreClient(one) as a, LocalStoreClient(staged) as b:
            expected = a.upsert("s", [r for batch in batches for r in batch], create=create)
            assert b.upsert_batches("s", iter(batches), create=create) == expected
    assert rows_of(staged, "s") == rows_of(one, "s")
    rows, last_seq = rows_of(staged, "s")
    assert [r[0] for r in rows] == ["a", "c", "d", "new1", "b", "new2"] and last_seq == 8
    assert staging_files(staged) == []


def test_many_batches_without_repeats_commit_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr("stores.staged_writes.CHUNK_RECORDS", 250)  # several INSERTs in the one transaction
    batches = [[{"id": f"r{i}", "n": i} for i in range(lo, lo + 100)] for lo in range(0, 1000, 100)]
    with LocalStoreClient(tmp_path / "one") as a, LocalStoreClient(tmp_path / "staged") as b:
        a.upsert("s", [r for batch in batches for r in batch], create=True)
        assert b.upsert_batches("s", batches, create=True) == {"inserted": 1000, "updated": 0, "unchanged": 0}
        changed = [[{"id": f"r{i}", "n": -i if i % 3 == 0 else i} for i in range(lo, lo + 100)]
                   for lo in range(500, 1500, 100)]
        expected = a.upsert("s", [r for batch in changed for r in batch])
        assert b.upsert_batches("s", changed) == expected == {"inserted": 500, "updated": 167, "unchanged": 333}
    assert rows_of(tmp_path / "staged", "s") == rows_of(tmp_path / "one", "s")


def test_a_bad_record_in_a_later_batch_writes_nothing_and_names_it(data_dir):
    with LocalStoreClient(data_dir) as client:
        client.upsert("s", [{"id": "keep", "v": 1}], create=True)
        batches = [[{"id": "keep", "v": 2}, {"id": "x"}], [{"id": "y"}, {"id": 7}]]
        with pytest.raises(RecordInvalid) as caught:
            client.upsert_batches("s", batches)
        assert (caught.value.index, caught.value.record_id) == (3, 7)  # its place in the whole write
        assert 'store "s": record 3 (id "7")' in str(caught.value) and "write was not written" in str(caught.value)
        assert client.read("s") == [{"id": "keep", "v": 1}]
        with pytest.raises(RecordInvalid):
            client.upsert_batches("fresh", [[{"id": "ok"}], [{"no": "id"}]], create=True)
        assert "fresh" not in {s["name"] for s in client.list_stores()}

        def failing():
            yield [{"id": "z"}]
            raise RuntimeError("the upstream node failed")

        with pytest.raises(RuntimeError):
            client.upsert_batches("s", failing())
        assert client.read("s") == [{"id": "keep", "v": 1}]
        assert staging_files(data_dir) == []


def test_aborted_and_abandoned_writes_leave_no_staging_files(data_dir):
    with LocalStoreClient(data_dir) as client:
        client.create_store("s")
        aborted = client.open_write("s")
        assert client.stage_batch("s", aborted, [{"id": "a"}, {"id": "b"}]) == {"received": 2, "staged": 2}
        assert client.stage_batch("s", aborted, [{"id": "c"}]) == {"received": 1, "staged": 3}
        assert staging_files(data_dir)
        client.abort_write("s", aborted)
        with pytest.raises(WriteNotFound):
            client.commit_write("s", aborted)

        abandoned = client.open_write("s")
        client.stage_batch("s", abandoned, [{"id": "a"}])
        kept = client.open_write("s")
        client.stage_batch("s", kept, [{"id": "k"}])
        with pytest.raises(WriteNotFound):  # a write is reached through its own store only
            client.stage_batch("other", kept, [{"id": "x"}])
        assert client.remove_abandoned_writes(max_idle_s=3600) == []
        client._writes.get(abandoned, "s").touched_at -= 3601  # an hour without a batch
        assert client.remove_abandoned_writes() == [abandoned]
        with pytest.raises(WriteNotFound) as caught:
            client.stage_batch("s", abandoned, [{"id": "late"}])
        assert abandoned in str(caught.value)
        assert client.commit_write("s", kept) == {"inserted": 1, "updated": 0, "unchanged": 0}
        left_open = client.open_write("s")
        client.stage_batch("s", left_open, [{"id": "never"}])
    assert staging_files(data_dir) == []  # closing drops what is open
    with LocalStoreClient(data_dir) as client:
        assert [r["id"] for r in client.read("s")] == ["k"]


def test_duckdb_memory_is_bounded_by_the_setting(data_dir, monkeypatch):
    assert memory_mb({}) == 256
    for bad in ("lots", "0", "12"):
        with pytest.raises(ValueError, match=MEMORY_ENV):
            memory_mb({MEMORY_ENV: bad})
    monkeypatch.setenv(MEMORY_ENV, "300")
    with LocalStoreClient(data_dir) as client:
        with client._connection() as con:
            limit, temp = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')"
                                      ).fetchall()[0]
    assert limit in ("300.0 MiB", "286.1 MiB") and temp == str(data_dir / "duckdb-tmp")


def test_a_store_made_with_a_primary_key_is_rebuilt_without_it(data_dir):
    con = duckdb.connect(str(data_dir / "stores.duckdb"))
    con.execute("CREATE TABLE _stores (name VARCHAR PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, "
                "last_seq BIGINT NOT NULL DEFAULT 0, last_write_at TIMESTAMPTZ)")
    con.execute("INSERT INTO _stores VALUES ('old', now(), 7, now())")
    con.execute('CREATE TABLE "store_old" (id VARCHAR PRIMARY KEY, data JSON NOT NULL, seq BIGINT NOT NULL, '
                "created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)")
    con.execute("""INSERT INTO "store_old" VALUES ('a', '{"id":"a"}', 7, now(), now()), ('b', '{"id":"b"}', 2, now(), now())""")
    con.close()
    with LocalStoreClient(data_dir) as client:
        assert client.read_since("old", 0) == {"records": [{"id": "b"}, {"id": "a"}], "last_seq": 7}
        assert client.upsert_batches("old", [[{"id": "a"}], [{"id": "c"}]]) == {"inserted": 1, "updated": 0,
                                                                             "unchanged": 1}
    con = duckdb.connect(str(data_dir / "stores.duckdb"), read_only=True)
    kinds = {k for (k,) in con.execute("SELECT constraint_type FROM duckdb_constraints() "
                                       "WHERE table_name = 'store_old'").fetchall()}
    con.close()
    assert "PRIMARY KEY" not in kinds
