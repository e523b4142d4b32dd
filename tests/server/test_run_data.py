"""Issue 16 through a real `wirework up`: every node's input and output of a run kept and
paged, downloads, partial runs (start_at / only with reuse_from), pinned and disabled
nodes, and validation that knows the stores, secrets and labeling projects that exist.
One shared server (the session's) for the module; each test makes its own workflow."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pyarrow.parquet as pq
import pytest

from tests.server_harness import wait_for_run

GEN = "def node(record):\n    import uuid\n    batch = uuid.uuid4().hex\n    for i in range(1000):\n        yield {'id': str(i), 'n': i, 'batch': batch, 'tags': {'even': i % 2 == 0}}\n"
DOUBLE = "def node(record):\n    return {**record, 'double': record['n'] * 2}\n"
TAIL = "def node(record):\n    record['tail'] = True\n    return record\n"


def py(node_id, type_, code, **extra):
    return {"id": node_id, "type": type_, "config": {"code": code}, **extra}


def create(api, nodes, edges=(), **extra) -> str:
    wf_id = f"rd-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges], **extra}
    answer = api.post("/api/workflows", json=doc)
    assert answer.status_code == 201, answer.text
    return wf_id


def run(api, wf_id, **body) -> dict:
    answer = api.post(f"/api/workflows/{wf_id}/runs", json=body)
    assert answer.status_code == 202, answer.text
    return wait_for_run(api, answer.json()["run_id"])


def nodes_of(run_: dict) -> dict:
    return {n["node_id"]: n for n in run_["nodes"]}


@pytest.fixture(scope="module")
def chain(api_module):
    """gen (1,000 records) → double → tail, run once in full."""
    wf = create(api_module, [py("gen", "python.yield", GEN), py("double", "python.map", DOUBLE),
                             py("tail", "python.map", TAIL)], [("gen", "double"), ("double", "tail")])
    first = run(api_module, wf)
    assert first["status"] == "completed", first
    return wf, first


@pytest.fixture(scope="module")
def api_module(server):
    with server.client() as client:
        yield client


def test_every_record_of_input_and_output_pages_to_900(api_module, chain):
    api, (wf, first) = api_module, chain
    out = api.get(f"/api/runs/{first['id']}/nodes/double/output", params={"offset": 900, "limit": 5}).json()
    assert out["total"] == 1000 and out["offset"] == 900
    assert [r["id"] for r in out["records"]] == ["900", "901", "902", "903", "904"]
    assert out["records"][0]["double"] == 1800 and out["records"][0]["tags"] == {"even": True}
    inp = api.get(f"/api/runs/{first['id']}/nodes/double/input", params={"offset": 900, "limit": 1000}).json()
    assert inp["total"] == 1000 and len(inp["records"]) == 100 and inp["records"][0]["id"] == "900"
    assert "double" not in inp["records"][0]  # what it received, not what it made of it
    # The tail's map changed its records in place: what `double` put out is unchanged.
    assert "tail" not in out["records"][0]
    # A first node received the trigger record.
    [trigger] = api.get(f"/api/runs/{first['id']}/nodes/gen/input").json()["records"]
    assert trigger["trigger"] == "manual" and trigger["id"] == first["id"]
    # The app database keeps metadata only: the run detail has counts, not records.
    assert nodes_of(first)["double"]["records_out"] == 1000 and "sample" not in nodes_of(first)["double"]
    assert api.get(f"/api/runs/{first['id']}/nodes/ghost/input").status_code == 404


def test_downloads_as_jsonl_csv_and_parquet(api_module, chain):
    api, (wf, first) = api_module, chain
    base = f"/api/runs/{first['id']}/nodes/double/output/download"
    jsonl = api.get(base, params={"format": "jsonl"})
    assert jsonl.status_code == 200
    assert f'filename="{wf}-{first["id"]}-double.jsonl"' in jsonl.headers["content-disposition"]
    lines = jsonl.text.splitlines()
    assert len(lines) == 1000 and json.loads(lines[999])["double"] == 1998
    rows = list(csv.DictReader(io.StringIO(api.get(base, params={"format": "csv"}).text)))
    assert len(rows) == 1000 and rows[7]["double"] == "14" and json.loads(rows[7]["tags"]) == {"even": False}
    table = pq.read_table(io.BytesIO(api.get(base, params={"format": "parquet"}).content))
    assert table.num_rows == 1000 and table.column("double").to_pylist()[3] == 6
    inp = api.get(f"/api/runs/{first['id']}/nodes/tail/input/download", params={"format": "jsonl"})
    assert len(inp.text.splitlines()) == 1000 and "-tail-input.jsonl" in inp.headers["content-disposition"]


def test_start_at_and_only_reuse_the_upstream_outputs(api_module, chain):
    api, (wf, first) = api_module, chain
    batch = api.get(f"/api/runs/{first['id']}/nodes/gen/output", params={"limit": 1}).json()["records"][0]["batch"]
    again = run(api, wf, start_at="double", reuse_from=first["id"])
    assert again["status"] == "completed" and again["reuse_from"] == first["id"] and again["start_at"] == "double"
    status = {k: v["status"] for k, v in nodes_of(again).items()}
    assert status == {"gen": "reused", "double": "completed", "tail": "completed"}
    # gen did not run again: its output (a fresh uuid per execution) is the first run's.
    out = api.get(f"/api/runs/{again['id']}/nodes/tail/output", params={"offset": 900, "limit": 1}).json()
    assert out["total"] == 1000 and out["records"][0]["batch"] == batch and out["records"][0]["tail"] is True
    assert api.get(f"/api/runs/{again['id']}/nodes/gen/output").json()["total"] == 1000

    alone = run(api, wf, only="double", reuse_from=again["id"])
    assert {k: v["status"] for k, v in nodes_of(alone).items()} == {
        "gen": "reused", "double": "completed", "tail": "not_run"}
    page = api.get(f"/api/runs/{alone['id']}/nodes/double/input", params={"offset": 900, "limit": 1}).json()
    assert page["total"] == 1000 and page["records"][0]["batch"] == batch
    assert api.get(f"/api/runs/{alone['id']}/nodes/tail/output").json() == {
        "records": [], "total": 0, "offset": 0, "kept": 0}

    def refused(body):
        answer = api.post(f"/api/workflows/{wf}/runs", json=body)
        assert answer.status_code == 422, answer.text
        return answer.json()["detail"]

    assert '"ghost"' in refused({"start_at": "ghost", "reuse_from": first["id"]})
    assert "no run" in refused({"start_at": "double", "reuse_from": "no-such-run"})
    assert "reuse_from" in refused({"only": "tail"})
    other = create(api, [py("gen", "python.yield", GEN), py("double", "python.map", DOUBLE)], [("gen", "double")])
    assert f'not of "{other}"' in refused_other(api, other, first["id"])


def refused_other(api, wf_id, run_id):
    answer = api.post(f"/api/workflows/{wf_id}/runs", json={"start_at": "double", "reuse_from": run_id})
    assert answer.status_code == 422, answer.text
    return answer.json()["detail"]


def test_pins_in_manual_runs_only_unless_the_workflow_opts_in(api_module):
    api = api_module
    pinned = [{"id": "p1", "n": 1}, {"id": "p2", "n": 2}]
    nodes = [py("gen", "python.yield", "def node(record):\n    raise RuntimeError('the source ran')\n", pinned=pinned),
             py("double", "python.map", DOUBLE)]
    wf = create(api, nodes, [("gen", "double")])
    manual = run(api, wf)
    assert manual["status"] == "completed"
    assert {k: v["status"] for k, v in nodes_of(manual).items()} == {"gen": "pinned", "double": "completed"}
    assert [r["double"] for r in api.get(f"/api/runs/{manual['id']}/nodes/double/output").json()["records"]] == [2, 4]
    hook = api.get(f"/api/workflows/{wf}/webhook").json()["url"]
    triggered = wait_for_run(api, api.post(hook, json={}).json()["run_id"])
    assert triggered["status"] == "failed" and nodes_of(triggered)["gen"]["error"]["message"].endswith("the source ran")
    current = api.get(f"/api/workflows/{wf}").json()
    saved = api.put(f"/api/workflows/{wf}", json={**current, "pins_in_triggered_runs": True})
    assert saved.status_code == 200
    opted = wait_for_run(api, api.post(hook, json={}).json()["run_id"])
    assert opted["status"] == "completed" and nodes_of(opted)["gen"]["status"] == "pinned"


def test_a_disabled_node_passes_its_input_through(api_module):
    api = api_module
    wf = create(api, [py("gen", "python.yield", GEN),
                      py("broken", "python.map", "def node(record):\n    raise ValueError('never')\n", disabled=True),
                      # a disabled node's unfinished config is no problem
                      {"id": "unfinished", "type": "store.read", "config": {}, "disabled": True},
                      py("double", "python.map", DOUBLE)],
                 [("gen", "broken"), ("broken", "unfinished"), ("unfinished", "double")])
    done = run(api, wf)
    assert done["status"] == "completed", done
    status = {k: v["status"] for k, v in nodes_of(done).items()}
    assert status == {"gen": "completed", "broken": "skipped", "unfinished": "skipped", "double": "completed"}
    skipped = nodes_of(done)["broken"]
    assert skipped["records_in"] == skipped["records_out"] == 1000
    page = api.get(f"/api/runs/{done['id']}/nodes/double/output", params={"offset": 900, "limit": 1}).json()
    assert page["records"][0]["double"] == 1800


def test_validation_knows_which_stores_secrets_and_projects_exist(api_module):
    api = api_module
    store = f"rd-{uuid.uuid4().hex[:6]}"
    nodes = [
        {"id": "read_missing", "type": "store.read", "config": {"store": "no-such-store"}},
        {"id": "write", "type": "store.write", "config": {"store": store}},  # creates it
        {"id": "read_written", "type": "store.read", "config": {"store": store}},  # written earlier: fine
        py("uses_secret", "python.map", "def node(record):\n    return record\n"),
        {"id": "enrich", "type": "labeling.enrich", "config": {"project": "no-such-project"}},
    ]
    nodes[3]["config"]["secrets"] = ["no-such-secret"]
    wf = create(api, nodes, [("read_missing", "write"), ("write", "read_written"), ("read_written", "uses_secret"),
                             ("uses_secret", "enrich")], schedule={"cron": "0 * * * *", "enabled": True})
    problems = api.get(f"/api/workflows/{wf}").json()["problems"]
    found = {(p["node"], p["code"]) for p in problems}
    assert found == {("read_missing", "missing_store"), ("uses_secret", "missing_secret"),
                     ("enrich", "missing_project")}, problems
    refused = api.post(f"/api/workflows/{wf}/runs", json={})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert f'workflow "{wf}"' in detail and 'node "read_missing"' in detail and '"no-such-store"' in detail
    assert '"no-such-secret"' in detail and '"no-such-project"' in detail and "/api/" not in detail
    [version] = api.get(f"/api/workflows/{wf}/versions").json()
    assert version["valid"] is False and {e["node_id"] for e in version["errors"]} == {
        "read_missing", "uses_secret", "enrich"}
    schedule = api.get(f"/api/workflows/{wf}/schedule")
    assert schedule.status_code == 422 and "schedule does not run" in schedule.json()["detail"]
    # A task the project lacks is named too.
    enrich_only = {"id": "x", "nodes": [{"id": "e", "type": "labeling.enrich",
                                         "config": {"project": "stock-sentiment", "tasks": ["no-such-task"]}}]}
    checked = api.post("/api/validate", json=enrich_only).json()
    assert [p["code"] for p in checked["problems"]] == ["missing_task"] and '"no-such-task"' in checked["problems"][0]["message"]
    # Fixed, the same workflow is valid in the newest version and the versions list says so.
    current = api.get(f"/api/workflows/{wf}").json()
    current["nodes"] = [n for n in current["nodes"] if n["id"] in ("write", "read_written")]
    current["edges"] = [e for e in current["edges"] if e["source"] == "write"]
    assert api.put(f"/api/workflows/{wf}", json=current).json()["problems"] == []
    versions = api.get(f"/api/workflows/{wf}/versions").json()
    assert [(v["version"], v["valid"]) for v in versions] == [(2, True), (1, False)]
    assert api.get(f"/api/workflows/{wf}/schedule").status_code == 200
