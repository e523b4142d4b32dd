"""Shared stores on a real DuckDB file: create/list/describe/drop, upsert (all or
nothing), read/browse/filter, incremental reads, cursors, delete, bad input, threads."""

from __future__ import annotations

import threading

import orjson

import pytest

from stores import (
    FilterInvalid,
    LocalStoreClient,
    NameInvalid,
    RecordInvalid,
    StoreClientClosed,
    StoreError,
    StoreExists,
    StoreNotFound,
)
from tests.store_helpers import article, data_dir, store_client  # noqa: F401  (fixtures)


def test_create_list_describe_and_drop(store_client):
    store_client.create_store("news")
    store_client.upsert("news", [article(1), article(2)])
    assert [(s["name"], s["count"]) for s in store_client.list_stores()] == [("news", 2)]
    info = store_client.describe_store("news")
    assert info["count"] == 2 and info["data_bytes"] > 200 and info["last_seq"] == 2
    assert info["schema"] == {"id": ["string"], "title": ["string"], "url": ["string"], "body": ["string"],
                              "meta": ["object"]}
    assert [r["id"] for r in info["sample"]] == ["a2", "a1"]  # newest first
    store_client.drop_store("news")
    assert store_client.list_stores() == []
    with pytest.raises(StoreNotFound, match='store "news" does not exist'):
        store_client.describe_store("news")


def test_creating_an_existing_store_is_refused_unless_exist_ok(store_client):
    store_client.create_store("news")
    with pytest.raises(StoreExists, match='"news" already exists'):
        store_client.create_store("news")
    assert store_client.create_store("news", exist_ok=True)["name"] == "news"


@pytest.mark.parametrize("name", ["", "News", "1news", "news;drop", 'a"b', "x" * 64, "ünï", None, "_x"])
def test_bad_store_names_are_refused(store_client, name):
    with pytest.raises(NameInvalid, match="name"):
        store_client.create_store(name)
    assert store_client.list_stores() == []


def test_names_with_dash_and_underscore_work(store_client):
    store_client.upsert("my-store_2", [{"id": "x"}], create=True)
    assert store_client.read("my-store_2") == [{"id": "x"}]


def test_upsert_counts_inserted_updated_and_unchanged(store_client):
    store_client.create_store("news")
    assert store_client.upsert("news", [article(1), article(2)]) == {"inserted": 2, "updated": 0, "unchanged": 0}
    result = store_client.upsert("news", [article(1), article(2, title="changed"), article(3)])
    assert result == {"inserted": 1, "updated": 1, "unchanged": 1}
    records = {r["id"]: r for r in store_client.read("news")}
    assert len(records) == 3 and records["a2"]["title"] == "changed" and records["a1"] == article(1)


def test_records_read_back_exactly_as_written(store_client):
    record = {"id": "r", "text": "naïve – ✓ \n\t \"quoted\"", "n": 3, "x": 1.5, "ok": False, "none": None,
              "nested": {"list": [1, {"deep": "y"}], "empty": {}}}
    store_client.upsert("s", [record], create=True)
    assert store_client.read("s") == [record]


def test_an_id_repeated_in_one_batch_keeps_the_last_version(store_client):
    result = store_client.upsert("s", [{"id": "a", "v": 1}, {"id": "b"}, {"id": "a", "v": 2}], create=True)
    assert result == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert {r["id"]: r for r in store_client.read("s")}["a"] == {"id": "a", "v": 2}


def test_upsert_into_a_missing_store_names_it(store_client):
    with pytest.raises(StoreNotFound, match='store "ghost" does not exist'):
        store_client.upsert("ghost", [{"id": "a"}])


@pytest.mark.parametrize("records, match", [
    ([{"id": "a"}, "not a dict"], r'store "s": record 1 is a str, expected a dict'),
    ([{"id": "a"}, {"id": "b"}, {"title": "no id"}], r'store "s": record 2 has no "id"'),
    ([{"id": 7}], r'record 0 \(id "7"\) has id 7: "id" must be a non-empty string'),
    ([{"id": ""}], r"record 0 .*must be a non-empty string"),
    ([{"id": "a"}, {"id": "b", "bad": object()}], r'record 1 \(id "b"\) is not JSON-serialisable'),
    ({"id": "a"}, r"batch must be a list of records, got dict"),
])
def test_a_bad_record_refuses_the_whole_batch_and_changes_nothing(store_client, records, match):
    store_client.upsert("s", [{"id": "a", "v": "original"}], create=True)
    before = store_client.describe_store("s")
    with pytest.raises(RecordInvalid, match=match) as info:
        store_client.upsert("s", records)
    assert "nothing changed" in str(info.value)
    assert store_client.read("s") == [{"id": "a", "v": "original"}]
    assert store_client.describe_store("s")["last_seq"] == before["last_seq"]


def test_a_batch_failing_inside_the_database_is_rolled_back(store_client):
    """A failure after the UPDATE already ran (here: the INSERT violates a NOT NULL column
    added behind the client's back) must leave the rows and the seq counter as they were."""
    store_client.upsert("s", [{"id": "a", "v": 1}], create=True)
    with store_client._connection() as con:
        con.execute('ALTER TABLE "store_s" ADD COLUMN must_not_be_null INTEGER DEFAULT 1')
        con.execute('ALTER TABLE "store_s" ALTER COLUMN must_not_be_null DROP DEFAULT')
        con.execute('ALTER TABLE "store_s" ALTER COLUMN must_not_be_null SET NOT NULL')
    with pytest.raises(Exception):
        store_client.upsert("s", [{"id": "a", "v": 2}, {"id": "b", "v": 1}])  # update ok, insert violates
    assert store_client.read("s") == [{"id": "a", "v": 1}]
    assert store_client.describe_store("s")["last_seq"] == 1


def test_non_json_types_from_readers_are_stored_as_json(store_client):
    import datetime
    import decimal

    store_client.upsert("s", [{"id": "a", "when": datetime.date(2026, 1, 2), "price": decimal.Decimal("1.5"),
                               "tags": ("x", "y")}], create=True)
    assert store_client.read("s") == [{"id": "a", "when": "2026-01-02", "price": 1.5, "tags": ["x", "y"]}]


def test_read_limit_offset_and_filters_on_json_fields(store_client):
    store_client.upsert("news", [article(i) for i in range(1, 11)], create=True)
    assert [r["id"] for r in store_client.read("news", limit=3)] == ["a1", "a2", "a3"]
    assert [r["id"] for r in store_client.read("news", limit=2, offset=8)] == ["a9", "a10"]
    assert [r["id"] for r in store_client.read("news", where={"meta.lang": "de"})] == ["a2", "a4", "a6", "a8", "a10"]
    assert [r["id"] for r in store_client.read("news", where={"meta.rank": 3})] == ["a3"]
    assert [r["id"] for r in store_client.read("news", where={"meta.lang": "en", "meta.rank": 5.0})] == ["a5"]
    assert store_client.read("news", where={"meta.rank": "3"}) == []  # a string is not the number 3


def test_filters_on_booleans_nulls_lists_and_odd_field_names(store_client):
    store_client.upsert("s", [
        {"id": "a", "ok": True, "tags": ["x", "y"], "odd key": 1},
        {"id": "b", "ok": False, "gone": None},
        {"id": "c", "ok": "true"},
    ], create=True)
    assert [r["id"] for r in store_client.read("s", where={"ok": True})] == ["a"]
    assert [r["id"] for r in store_client.read("s", where={"ok": False})] == ["b"]
    assert [r["id"] for r in store_client.read("s", where={"gone": None})] == ["a", "b", "c"]
    assert [r["id"] for r in store_client.read("s", where={"tags": ["x", "y"]})] == ["a"]
    assert [r["id"] for r in store_client.read("s", where={"odd key": 1})] == ["a"]


@pytest.mark.parametrize("where, match", [
    ({"a..b": 1}, "not a dotted path"),
    ({'a"b': 1}, "not a dotted path"),
    ({"a": object()}, "must be JSON"),
    (["a"], "must be an object"),
])
def test_bad_filters_are_refused_with_the_store_name(store_client, where, match):
    store_client.create_store("s")
    with pytest.raises(FilterInvalid, match=f'store "s": .*{match}'):
        store_client.read("s", where=where)


def test_filter_values_are_parameters_not_sql(store_client):
    store_client.upsert("s", [{"id": "a", "t": "x"}], create=True)
    assert store_client.read("s", where={"t": "x' OR '1'='1"}) == []
    assert store_client.read("s", where={"t') OR TRUE --": "x"}) == []


def test_browse_returns_a_page_and_the_total(store_client):
    store_client.upsert("news", [article(i) for i in range(1, 8)], create=True)
    page = store_client.browse("news", limit=3, offset=3, where={"meta.lang": "en"})
    assert page["total"] == 4 and [r["id"] for r in page["records"]] == ["a7"]
    with pytest.raises(FilterInvalid, match="limit must be a non-negative integer"):
        store_client.browse("news", limit=-1)


def test_read_since_returns_inserted_and_changed_records_in_write_order(store_client):
    store_client.upsert("news", [article(1), article(2), article(3)], create=True)
    first = store_client.read_since("news", 0)
    assert [r["id"] for r in first["records"]] == ["a1", "a2", "a3"] and first["last_seq"] == 3
    store_client.upsert("news", [article(2, title="fixed"), article(3), article(4)])  # a3 is identical
    second = store_client.read_since("news", first["last_seq"])
    assert [(r["id"], r["title"]) for r in second["records"]] == [("a2", "fixed"), ("a4", "Headline 4")]
    assert store_client.read_since("news", second["last_seq"]) == {"records": [], "last_seq": second["last_seq"]}


def test_read_since_with_a_limit_pages_through_new_records(store_client):
    store_client.upsert("s", [{"id": f"r{i}"} for i in range(5)], create=True)
    seen, after = [], 0
    while True:
        page = store_client.read_since("s", after, limit=2)
        if not page["records"]:
            break
        seen += [r["id"] for r in page["records"]]
        after = page["last_seq"]
    assert seen == ["r0", "r1", "r2", "r3", "r4"]


def test_seq_never_goes_back_after_deletes(store_client):
    store_client.upsert("s", [{"id": "a"}, {"id": "b"}], create=True)
    after = store_client.read_since("s", 0)["last_seq"]
    assert store_client.delete("s", ["b", "no-such-id"]) == 1
    store_client.upsert("s", [{"id": "c"}])
    assert [r["id"] for r in store_client.read_since("s", after)["records"]] == ["c"]
    assert [r["id"] for r in store_client.read("s")] == ["a", "c"]


def test_cursors_advance_forward_only_and_reset_exactly(store_client):
    store_client.create_store("s")
    assert store_client.get_cursor("wf", "read", "s") == 0
    assert store_client.advance_cursor("wf", "read", "s", 10) == 10
    assert store_client.advance_cursor("wf", "read", "s", 4) == 10  # an overlapping older run finishing late
    assert store_client.get_cursor("wf", "other-node", "s") == 0
    store_client.set_cursor("wf", "read", "s", 0)
    assert store_client.get_cursor("wf", "read", "s") == 0


def test_dropping_a_store_drops_its_cursors(store_client):
    store_client.upsert("s", [{"id": "a"}], create=True)
    store_client.advance_cursor("wf", "read", "s", 1)
    store_client.drop_store("s")
    store_client.upsert("s", [{"id": "b"}], create=True)  # seq restarts at 1 in the new store
    assert store_client.get_cursor("wf", "read", "s") == 0
    assert store_client.list_cursors() == []


def test_stores_survive_reopening_the_file(data_dir):
    with LocalStoreClient(data_dir) as client:
        client.upsert("s", [{"id": "a", "v": 1}], create=True)
        client.advance_cursor("wf", "n", "s", 1)
    with LocalStoreClient(data_dir) as client:
        assert client.read("s") == [{"id": "a", "v": 1}] and client.get_cursor("wf", "n", "s") == 1


def test_a_closed_client_says_so(data_dir):
    client = LocalStoreClient(data_dir)
    client.close()
    with pytest.raises(StoreClientClosed, match="closed"):
        client.list_stores()


def test_many_threads_write_and_read_at_once(store_client):
    store_client.create_store("s")
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for batch in range(5):
                store_client.upsert("s", [{"id": f"t{t}-{batch}-{i}", "t": t} for i in range(50)])
                store_client.read("s", where={"t": t})
                store_client.read_since("s", 0, limit=10)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store_client.describe_store("s")["count"] == 6 * 5 * 50
    with store_client._connection() as con:
        seqs = con.execute('SELECT count(DISTINCT seq), max(seq) FROM "store_s"').fetchall()[0]
    assert seqs == (1500, 1500)


def test_a_bad_record_after_a_repeated_id_is_named_by_its_index_in_the_batch(store_client):
    with pytest.raises(RecordInvalid, match=r'record 2 \(id "b"\) is not JSON-serialisable'):
        store_client.upsert("s", [{"id": "a"}, {"id": "a"}, {"id": "b", "x": object()}], create=True)


def test_a_store_file_held_by_another_process_gives_a_clear_error(data_dir):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.read()", str(data_dir / "stores.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="another process holds it"):
            LocalStoreClient(data_dir)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_incremental_readers_racing_writers_never_skip_a_record(store_client):
    """Seqs become visible in commit order, so a reader that follows `last_seq` while
    other threads write sees every record (at least once)."""
    store_client.create_store("s")
    written: set[str] = set()
    done = threading.Event()
    seen: set[str] = set()

    def writer(t: int) -> None:
        for batch in range(15):
            ids = [f"w{t}-{batch}-{i}" for i in range(40)]
            store_client.upsert("s", [{"id": i} for i in ids])
            written.update(ids)

    def reader() -> None:
        after = 0
        while True:
            finished = done.is_set()  # read once more after the writers stopped
            page = store_client.read_since("s", after, limit=25)
            seen.update(r["id"] for r in page["records"])
            after = page["last_seq"]
            if finished and not page["records"]:
                return

    writers = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    follower = threading.Thread(target=reader)
    follower.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    follower.join(timeout=60)
    assert len(written) == 4 * 15 * 40 and seen == written


def test_an_empty_batch_is_a_no_op(store_client):
    assert store_client.upsert("s", [], create=True) == {"inserted": 0, "updated": 0, "unchanged": 0}
    store_client.upsert("s", [{"id": "a"}])
    assert store_client.upsert("s", []) == {"inserted": 0, "updated": 0, "unchanged": 0}
    assert store_client.read("s") == [{"id": "a"}]


def test_records_containing_the_batch_encoders_kind_of_marker_still_store_exactly(store_client):
    """The batch is encoded in one orjson call split on a random marker; data that looks
    like a marker (or holds lists of strings between objects) must not confuse it."""
    records = [{"id": f"r{i}", "list": [{"a": 1}, "wirework-record-boundary-0", {"b": 2}],
                "text": ',"wirework-record-boundary-x",'} for i in range(3)]
    store_client.upsert("s", records, create=True)
    assert store_client.read("s") == records


def test_the_batch_encoder_falls_back_when_data_holds_its_marker(monkeypatch):
    import uuid

    from stores.batch import _dump_each

    fixed = uuid.UUID(int=7)
    marker = f"wirework-record-boundary-{fixed.hex}"
    records = [{"id": "a", "x": [{"k": 1}, marker, {"k": 2}]}, {"id": "b"}, {"id": "c", "y": marker}]
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)  # the encoder picks the marker the data holds
    assert [orjson.loads(part) for part in _dump_each(records)] == records
