"""File stores: CSV / Parquet / JSON Lines import and export through DuckDB, confined
to the data folder's files/ area."""

from __future__ import annotations

import os

import pytest

from stores import FileFormatUnsupported, FileNotFound, FilePathRefused, RecordInvalid
from tests.store_helpers import article, data_dir, store_client  # noqa: F401  (fixtures)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_export_then_import_round_trips(store_client, fmt):
    records = [article(i) for i in range(1, 21)]
    store_client.upsert("news", records, create=True)
    out = store_client.export_file("news", f"exports/news.{fmt}")
    assert out["records"] == 20 and out["bytes"] > 0 and out["format"] == fmt
    result = store_client.import_file("copy", f"exports/news.{fmt}")
    assert result["rows"] == 20 and result["inserted"] == 20
    back = store_client.read("copy")
    if fmt == "csv":  # CSV has no nesting: nested fields come back as JSON text
        import orjson

        for record in back:
            record["meta"] = orjson.loads(record["meta"])
    assert back == records


def test_jsonl_keeps_records_with_different_fields_exactly(store_client):
    records = [{"id": "a", "n": 1}, {"id": "b", "n": "one", "extra": {"x": [1, 2]}}, {"id": "c"}]
    store_client.upsert("s", records, create=True)
    store_client.export_file("s", "s.jsonl")
    store_client.import_file("t", "s.jsonl")
    assert store_client.read("t") == records


def test_export_can_filter(store_client):
    store_client.upsert("news", [article(i) for i in range(1, 11)], create=True)
    assert store_client.export_file("news", "de.parquet", where={"meta.lang": "de"})["records"] == 5
    store_client.import_file("de", "de.parquet")
    assert [r["id"] for r in store_client.read("de")] == ["a2", "a4", "a6", "a8", "a10"]


def test_exporting_an_empty_store_writes_a_readable_file(store_client):
    store_client.create_store("empty")
    for fmt in ("csv", "parquet", "jsonl"):
        assert store_client.export_file("empty", f"empty.{fmt}")["records"] == 0
        assert store_client.import_file("empty-copy", f"empty.{fmt}")["rows"] == 0


def test_csv_import_uses_an_id_column_or_generates_ids(store_client, data_dir):
    (data_dir / "files" / "people.csv").write_text("name,age,email\nAda,36,ada@x\nBob,41,bob@x\n")
    result = store_client.import_file("people", "people.csv", id_field="email")
    assert result["inserted"] == 2
    assert store_client.read("people") == [{"name": "Ada", "age": 36, "email": "ada@x", "id": "ada@x"},
                                           {"name": "Bob", "age": 41, "email": "bob@x", "id": "bob@x"}]
    again = store_client.import_file("people", "people.csv", id_field="email")
    assert (again["inserted"], again["unchanged"]) == (0, 2)
    store_client.import_file("anon", "people.csv")  # no id column: uuid4 ids
    ids = [r["id"] for r in store_client.read("anon")]
    assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)


def test_a_jsonl_line_that_is_not_an_object_refuses_the_whole_file(store_client, data_dir):
    (data_dir / "files" / "bad.jsonl").write_text('{"id": "a"}\n[1, 2]\n')
    with pytest.raises(RecordInvalid, match='store "s": record 1 is a list'):
        store_client.import_file("s", "bad.jsonl")
    assert store_client.list_stores() == []  # checked before anything, even the store, was created


def test_unknown_format_and_missing_file_are_clear(store_client, data_dir):
    store_client.create_store("s")
    with pytest.raises(FileFormatUnsupported, match="cannot tell the format"):
        store_client.export_file("s", "out.xyz")
    with pytest.raises(FileFormatUnsupported, match='"xml" is not supported'):
        store_client.export_file("s", "out.dat", format="xml")
    with pytest.raises(FileNotFound, match='"missing.csv" does not exist'):
        store_client.import_file("s", "missing.csv")


@pytest.mark.parametrize("path", ["../stores.duckdb", "a/../../x.csv", "/etc/passwd", "/tmp/elsewhere.csv", ""])
def test_paths_outside_the_files_folder_are_refused(store_client, path):
    store_client.upsert("s", [{"id": "a"}], create=True)
    with pytest.raises(FilePathRefused):
        store_client.export_file("s", path, format="csv")
    with pytest.raises(FilePathRefused):
        store_client.import_file("s", path, format="csv")


def test_a_symlink_leading_out_of_the_files_folder_is_refused(store_client, data_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("id\nx\n")
    os.symlink(outside, data_dir / "files" / "link")
    store_client.create_store("s")
    with pytest.raises(FilePathRefused, match="outside the files folder"):
        store_client.import_file("s", "link/secret.csv")
    with pytest.raises(FilePathRefused, match="outside the files folder"):
        store_client.export_file("s", "link/out.csv")
    assert not (outside / "out.csv").exists()


def test_an_absolute_path_inside_the_files_folder_is_allowed(store_client, data_dir):
    store_client.upsert("s", [{"id": "a"}], create=True)
    target = data_dir / "files" / "abs.jsonl"
    store_client.export_file("s", str(target))
    assert target.read_text().strip() == '{"id":"a"}'
    assert [f["path"] for f in store_client.list_files()] == ["abs.jsonl"]


def test_xlsx_round_trip_keeps_strings_as_text_never_formulas(store_client, data_dir):
    from openpyxl import load_workbook

    records = [{"id": "a", "title": '=HYPERLINK("http://evil.example")', "n": 1, "meta": {"x": 1}},
               {"id": "b", "title": "plain", "n": 2.5, "ok": True}]
    store_client.upsert("s", records, create=True)
    assert store_client.export_file("s", "sheet.xlsx")["records"] == 2
    cell = load_workbook(data_dir / "files" / "sheet.xlsx").worksheets[0]["B2"]
    assert cell.data_type == "s" and cell.value == records[0]["title"]
    store_client.import_file("t", "sheet.xlsx")
    assert store_client.read("t") == [
        {"id": "a", "title": records[0]["title"], "n": 1, "meta": '{"x":1}', "ok": None},
        {"id": "b", "title": "plain", "n": 2.5, "meta": None, "ok": True},
    ]


def test_xlsx_import_names_blank_and_duplicate_headers(store_client, data_dir):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "name", None, "name"])
    sheet.append(["p1", "Ada", "x", "Lovelace"])
    sheet.append([None, None, None, None])  # an empty row is skipped
    workbook.save(data_dir / "files" / "people.xlsx")
    assert store_client.import_file("people", "people.xlsx")["rows"] == 1
    assert store_client.read("people") == [{"id": "p1", "name": "Ada", "column_3": "x", "name_2": "Lovelace"}]
