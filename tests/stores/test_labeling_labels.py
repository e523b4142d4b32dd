"""The service's bulk manual labels (one transaction, all or nothing) and its text-field
counts, warnings and sync log (stores/labeling/field_checks.py), on real DuckDB files."""

from __future__ import annotations

import logging

import pytest

from stores.labeling import LabelingError
from stores.labeling.field_checks import field_report
from tests.labeling_fixtures import service, store_client  # noqa: F401  (fixtures)

LABELS = ["rather positive", "neutral", "rather negative"]


def make_project(service, store_client, records, text_fields=("headline",)):
    store_client.create_store("items")
    store_client.upsert("items", records)
    service.create_project("p", "items")
    service.create_task("p", "sentiment", LABELS, list(text_fields))


def test_apply_labels_sets_and_removes_in_one_go(service, store_client):
    make_project(service, store_client, [{"id": f"a/{i}", "headline": f"h {i}"} for i in range(300)])
    answer = service.apply_labels("p", "sentiment", [{"record_id": f"a/{i}", "label": LABELS[i % 3]}
                                                     for i in range(300)], "ann")
    assert (answer["set"], answer["removed"]) == (300, 0)
    assert len(service.manual_labels("p", "sentiment")) == 300
    answer = service.apply_labels("p", "sentiment", [{"record_id": f"a/{i}", "label": None} for i in range(100)]
                                  + [{"record_id": "a/150", "label": "neutral"}], "bob")
    assert (answer["set"], answer["removed"]) == (1, 100)
    labels = {m["record_id"]: m for m in service.manual_labels("p", "sentiment")}
    assert len(labels) == 200 and labels["a/150"]["label"] == "neutral" and labels["a/150"]["labeled_by"] == "bob"


@pytest.mark.parametrize("bad, named", [({"record_id": "a/1", "label": "great"}, "a/1"),
                                        ({"record_id": "nope/1", "label": "neutral"}, "nope/1"),
                                        ({"record_id": "a/0", "label": None}, "a/0")])
def test_a_bad_item_refuses_the_whole_batch(service, store_client, bad, named):
    make_project(service, store_client, [{"id": f"a/{i}", "headline": f"h {i}"} for i in range(3)])
    service.apply_labels("p", "sentiment", [{"record_id": "a/2", "label": "neutral"}], "ann")
    # a/0 is named twice in the third case
    with pytest.raises(LabelingError) as raised:
        service.apply_labels("p", "sentiment", [{"record_id": "a/0", "label": "neutral"}, bad], "ann")
    assert raised.value.record_id == named and raised.value.task == "sentiment"
    assert {m["record_id"]: m["label"] for m in service.manual_labels("p", "sentiment")} == {"a/2": "neutral"}


def test_field_report_counts_and_warns():
    fields, warnings = field_report("t", ["a", "b", "c"], {"a": {"missing": 3, "empty": 0},
                                                           "b": {"missing": 1, "empty": 2},
                                                           "c": {"missing": 1, "empty": 0}}, records=3)
    assert fields == [{"field": "a", "missing": 3, "empty": 0}, {"field": "b", "missing": 1, "empty": 2},
                      {"field": "c", "missing": 1, "empty": 0}]
    assert [(w["field"], w["kind"]) for w in warnings] == [("a", "field_never_occurs"), ("b", "field_always_empty")]
    assert field_report("t", ["a"], {"a": {"missing": 0, "empty": 0}}, records=0)[1] == []


def test_sync_logs_fields_the_records_lack(service, store_client, caplog):
    caplog.set_level(logging.INFO, logger="wirework.labeling")
    make_project(service, store_client, [{"id": "1", "name": "x"}, {"id": "2", "name": "y", "body": ""}],
                 text_fields=["headline", "body"])
    service.sync("p")
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert (logging.WARNING, 'project "p": text field "headline" of task "sentiment" occurs on none of the '
                             "project's 2 records") in messages
    assert any(level == logging.INFO and 'text field "body" is missing on 1 and blank on 1 of 2' in text
               for level, text in messages)
    status = service.status("p")["tasks"][0]
    assert status["text_fields"] == [{"field": "headline", "missing": 2, "empty": 0},
                                     {"field": "body", "missing": 1, "empty": 1}]
    caplog.clear()
    service.sync("p")  # nothing changed: nothing logged again
    assert not [r for r in caplog.records if "text field" in r.getMessage()]


def test_field_counts_follow_new_records_and_task_changes(service, store_client):
    make_project(service, store_client, [{"id": "1", "name": "x"}])
    assert [w["field"] for w in service.field_warnings("p")] == ["headline"]
    store_client.upsert("items", [{"id": "2", "headline": "Acme soars"}])
    assert service.field_warnings("p") == []  # the sync brought a record that has it
    assert service.status("p")["tasks"][0]["text_fields"] == [{"field": "headline", "missing": 1, "empty": 0}]
    service.create_task("p", "topic", ["a", "b"], ["body"])
    assert [(w["task"], w["field"]) for w in service.field_warnings("p")] == [("topic", "body")]
    assert service.field_warnings("p", ["sentiment"]) == []
