"""python.map / python.yield with `parallelism` on a real Dask LocalCluster (through
prefect-dask's task runner, against the session's Prefect server): the same records in
the same order as the serial run, partition logs in the node's log, errors naming the
record's index in the whole input, the cluster's processes gone after a timeout, bad
option values refused by validation, and partitions inside the run's sandbox."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid

import pytest

from engine import validate_workflow
from engine.execution import process_tree
from engine.execution.local_run import run_workflow
from engine.model.validation import WorkflowInvalid, ensure_valid
from tests.builders import node, workflow
from tests.server_harness import wait_for_run

# In-process runs talk to the session's Prefect server (the sandbox test has its own `wirework up`).
in_process = pytest.mark.usefixtures("prefect_api_url")

SOURCE = """
def node(record):
    for i in range(1000):
        yield {"id": f"r{i}", "n": i}
"""
# Drops some records, keeps others' ids, gives new ids to a few: every branch of the serial path.
MAP = """
import os
print(f"loaded in pid {os.getpid()}")

def node(record):
    n = record["n"]
    if n % 7 == 0:
        return None
    if n % 11 == 0:
        return {"n": n, "square": n * n}
    return {"id": record["id"], "square": n * n}
"""
YIELD = """
def node(record):
    for k in range(record["n"] % 3):
        yield {"id": f"{record['id']}-{k}", "k": k}
"""
COLLECT = "def node(records):\n    return {'id': 'all', 'records': records}\n"
DASK_4 = {"engine": "dask", "partitions": 4}


def parallel(node_id: str, type_: str, source: str, option: dict | None = None, **extra) -> dict:
    spec = node(node_id, type_, source, **extra)
    spec["config"]["parallelism"] = option or DASK_4
    return spec


def collected(summary, node_id: str) -> list[dict]:
    return summary.nodes[node_id].sample[0]["records"]


@in_process
def test_map_and_yield_give_the_serial_records_in_the_serial_order(app_db):
    wf = workflow([
        node("src", "python.yield", SOURCE),
        node("map_serial", "python.map", MAP), parallel("map_dask", "python.map", MAP),
        node("yield_serial", "python.yield", YIELD), parallel("yield_dask", "python.yield", YIELD),
        *[node(f"all_{n}", "python.aggregate", COLLECT) for n in ("map_serial", "map_dask", "yield_serial", "yield_dask")],
    ], [("src", "map_serial"), ("src", "map_dask"), ("src", "yield_serial"), ("src", "yield_dask"),
        ("map_serial", "all_map_serial"), ("map_dask", "all_map_dask"),
        ("yield_serial", "all_yield_serial"), ("yield_dask", "all_yield_dask")])
    summary = run_workflow(wf, app_db=app_db)
    assert summary.status == "completed", summary.error

    serial_map, dask_map = collected(summary, "all_map_serial"), collected(summary, "all_map_dask")
    assert len(serial_map) == 857  # 1000 minus the 143 multiples of 7
    kept = [r for r in dask_map if r["id"].startswith("r")]
    assert [r["id"] for r in kept] == [r["id"] for r in serial_map if r["id"].startswith("r")]
    # New ids are random uuids (on either path): compare everything but those.
    strip = [{k: v for k, v in r.items() if k != "id"} for r in dask_map]
    assert strip == [{k: v for k, v in r.items() if k != "id"} for r in serial_map]
    assert collected(summary, "all_yield_dask") == collected(summary, "all_yield_serial")
    assert len(collected(summary, "all_yield_serial")) == 999

    # The module body printed once in this process (the code is loaded before the cluster
    # starts) and once per partition on the Dask workers: other processes, in the node's log.
    log = summary.nodes["map_dask"].logs
    pids = [int(p) for p in re.findall(r"loaded in pid (\d+)", log)]
    assert len(pids) == 5 and pids[0] == os.getpid() and os.getpid() not in pids[1:], log
    assert "map 1000 records in 4 partitions on a local Dask cluster" in log
    assert summary.nodes["map_dask"].records_out == 857


@in_process
def test_an_error_in_a_partition_names_the_record_by_its_index_in_the_whole_input(app_db):
    failing = "def node(record):\n    if record['n'] in (617, 910):\n        raise ValueError('bad n')\n    return record\n"
    wf = workflow([node("src", "python.yield", SOURCE), parallel("boom", "python.map", failing)], [("src", "boom")],
                  wf_id="parallel-errors")
    summary = run_workflow(wf, app_db=app_db)
    assert summary.status == "failed" and "boom" in summary.error
    error = summary.nodes["boom"].error
    # Record 617 is the 117th of partition 3 (250 records each); 910 fails later, in partition 4.
    assert (error["type"], error["record_id"], error["line"], error["node"]) == ("ValueError", "r617", 3, "boom")
    assert error["source_line"] == "raise ValueError('bad n')"
    assert error["message"] == ('ValueError: bad n (input record index 617, partition 3 of 4; '
                                'workflow "parallel-errors")')


@pytest.mark.parametrize("option, field, message", [
    ({"engine": "spark", "partitions": 4}, "parallelism.engine", "Input should be 'dask'"),
    ({"engine": "dask", "partitions": 0}, "parallelism.partitions", "greater than or equal to 1"),
    ({"engine": "dask", "partitions": 65}, "parallelism.partitions", "less than or equal to 64"),
    ({"engine": "dask", "partitions": 4, "address": "scheduler:8786"}, "parallelism.address", "tcp://host:port"),
    ({"engine": "dask", "partitions": 4, "address": "tcp://scheduler:70000"}, "parallelism.address", "tcp://host:port"),
    ({"engine": "dask", "partitions": 4, "workers": 2}, "parallelism.workers", "Extra inputs are not permitted"),
])
def test_bad_parallelism_values_are_refused_naming_workflow_node_and_field(option, field, message):
    wf = workflow([parallel("m", "python.yield", YIELD, option)], [], wf_id="bad-options")
    [problem] = validate_workflow(wf)
    assert (problem.code, problem.node, problem.field) == ("config", "m", field) and message in problem.message
    with pytest.raises(WorkflowInvalid) as err:
        ensure_valid(wf)
    assert f'workflow "bad-options" is not valid:\n  - node "m", {field}: ' in str(err.value)


def test_a_good_address_and_no_option_are_valid():
    wf = workflow([parallel("m", "python.map", MAP, {"engine": "dask", "partitions": 8, "address": "tcp://10.0.0.5:8786"}),
                   node("s", "python.map", MAP)], [])
    assert validate_workflow(wf) == []


@in_process
def test_an_address_runs_the_partitions_on_that_cluster(app_db):
    import distributed

    # A cluster of this test's own (worker threads in this process), reached by its address only.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        option = {"engine": "dask", "partitions": 3, "address": address}
        transitions = cluster.scheduler.transition_counter
        wf = workflow([node("src", "python.yield", SOURCE), parallel("map", "python.map", MAP, option),
                       node("all", "python.aggregate", COLLECT)], [("src", "map"), ("map", "all")])
        summary = run_workflow(wf, app_db=app_db)
        assert summary.status == "completed", summary.error
        # Its scheduler moved the partitions' tasks (waiting → processing → memory → released).
        assert cluster.scheduler.transition_counter - transitions >= 3 * 3
        records = collected(summary, "all")
    assert [r["square"] for r in records] == [n * n for n in range(1000) if n % 7]
    assert f"map 1000 records in 3 partitions on the Dask cluster at {address}" in summary.nodes["map"].logs


@in_process
def test_a_cancel_stops_the_wait_and_the_clusters_workers():
    from multiprocessing import forkserver, resource_tracker

    from nodes import NodeContext, RunCancelled
    from nodes.parallel_map import run_in_partitions
    from nodes.parallelism import Parallelism
    from nodes.user_code import UserSecrets

    before = set(process_tree.descendants(os.getpid()))
    ctx = NodeContext(workflow_id="wf", run_id="run", node_id="slow", logger=logging.getLogger("test"), trigger={})
    sleepy = "def node(record):\n    import time\n    time.sleep(60)\n    return record\n"
    cancel = threading.Timer(1.0, ctx.cancel_event.set)  # what the run process does at SIGTERM
    cancel.start()
    started = time.monotonic()
    with pytest.raises(RunCancelled):
        run_in_partitions(ctx, "map", sleepy, UserSecrets({}, "slow"), Parallelism(engine="dask", partitions=2),
                          [{"id": "a"}, {"id": "b"}])
    assert time.monotonic() - started < 30  # not the 60 s the partitions sleep
    # The forkserver and multiprocessing's resource tracker stay for the run's next cluster
    # (the run's end kills them); the cluster's processes are gone.
    helpers = {forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid}
    left = [pid for pid in process_tree.descendants(os.getpid()) if pid not in before | helpers]
    assert left == [], [open(f"/proc/{pid}/cmdline").read() for pid in left]


# Runs through a real `wirework up`: the run process is in bubblewrap, so the partitions' workers are too.
# No file of the data folder may be visible from a partition (a private tmpfs covers it, in
# which the run's Prefect makes its own `prefect` folder); the run fails otherwise.
SANDBOX_PROBE = """
import os

def node(record):
    seen = set(os.listdir(HOME)) & set(HIDDEN)
    if seen:
        raise RuntimeError(f"the data folder is visible: {sorted(seen)}")
    print(f"record {record['id']} in pid {os.getpid()} sees none of the data folder")
    return record
"""


def test_partitions_run_inside_the_runs_sandbox(api, server):
    from engine.execution.sandbox import sandbox_available

    if not sandbox_available():
        pytest.fail("bubblewrap does not work here: `make sandbox` installs it")
    home = str(server.home)
    hidden = sorted(set(os.listdir(home)) - {"prefect"})
    assert {"app.duckdb", "api-token"} <= set(hidden)  # what the partitions must not see
    wf_id = f"parallel-sandbox-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": [
        {"id": "src", "type": "python.yield",
         "config": {"code": "def node(r):\n    for i in range(6):\n        yield {'id': str(i)}\n"}},
        {"id": "probe", "type": "python.map",
         "config": {"code": SANDBOX_PROBE.replace("HOME", repr(home)).replace("HIDDEN", repr(hidden)), "parallelism": {"engine": "dask", "partitions": 3}}},
    ], "edges": [{"source": "src", "target": "probe"}]}
    assert api.post("/api/workflows", json=doc).status_code == 201
    run_id = api.post(f"/api/workflows/{wf_id}/runs", json={}).json()["run_id"]
    run = wait_for_run(api, run_id, timeout_s=120)
    logs = api.get(f"/api/runs/{run_id}/nodes/probe/logs").json()["logs"]
    assert run["status"] == "completed", ([n.get("error") for n in run["nodes"]], logs)
    lines = re.findall(r"record (\d) in pid \d+ sees none of the data folder", logs)
    assert lines == ["0", "1", "2", "3", "4", "5"], logs  # every record, in order, from the partitions' logs
    assert "map 6 records in 3 partitions on a local Dask cluster" in logs


# The node times out while its partitions sleep: what the cluster started since the node began goes with it.
@in_process
def test_a_timeout_stops_the_node_and_kills_the_clusters_processes(app_db):
    before = set(process_tree.descendants(os.getpid()))
    sleepy = "def node(record):\n    import time\n    time.sleep(60)\n    return record\n"
    wf = workflow([parallel("slow", "python.map", sleepy, {"engine": "dask", "partitions": 2}, timeout_s=4)], [])
    summary = run_workflow(wf, app_db=app_db)
    assert summary.nodes["slow"].status == "failed" and summary.nodes["slow"].error["type"] == "NodeTimeout"
    # The forkserver, the Dask workers and what they started: none outlives the node.
    left = [pid for pid in process_tree.descendants(os.getpid()) if pid not in before]
    assert left == []
