"""Issue 20 part 3 through a real `wirework up` whose runs spill at 1 MB
(`WIREWORK_SPILL_MB=1`): a 200,000-record yield → map run keeps its run process's memory
bounded, spills to the scratch folder and leaves none of it behind; store.write across
several batches is one all-or-nothing write; partial runs and pins work on batches; a run
killed after spilling leaves no scratch behind."""

from __future__ import annotations

import uuid

import pytest

from tests.server_harness import ServerProcess, wait_for_run, wait_until

# ~300 bytes of JSON per record: held as Python objects (~4x) the two outputs would be ~500 MB.
GEN = ("def node(record):\n"
       "    for i in range(200_000):\n"
       "        yield {'id': str(i), 'n': i, 'text': 'x' * 250}\n")
# Every 10,000th record carries the run process's peak RSS so far (VmHWM) and its RSS.
HWM = ("def status(key):\n"
       "    for line in open('/proc/self/status'):\n"
       "        if line.startswith(key):\n"
       "            return int(line.split()[1]) // 1024\n"
       "def node(record):\n"
       "    if record['n'] % 10_000 == 0:\n"
       "        record['hwm_mb'], record['rss_mb'] = status('VmHWM:'), status('VmRSS:')\n"
       "    return record\n")


@pytest.fixture(scope="module")
def spilling(prefect_api_url, tmp_path_factory):
    home, scratch = tmp_path_factory.mktemp("spill-home"), tmp_path_factory.mktemp("spill-scratch")
    proc = ServerProcess(home, prefect_api_url, extra_env={"WIREWORK_SPILL_MB": "1",
                                                           "WIREWORK_SCRATCH": str(scratch)}).start()
    try:
        with proc.client() as client:
            yield client, scratch
    finally:
        proc.stop()


def py(node_id, type_, code, **extra):
    return {"id": node_id, "type": type_, "config": {"code": code}, **extra}


def create(api, nodes, edges) -> str:
    wf_id = f"bm-{uuid.uuid4().hex[:8]}"
    doc = {"id": wf_id, "nodes": nodes, "edges": [{"source": s, "target": t} for s, t in edges]}
    answer = api.post("/api/workflows", json=doc)
    assert answer.status_code == 201, answer.text
    return wf_id


def run(api, wf_id, timeout_s=300, **body) -> dict:
    answer = api.post(f"/api/workflows/{wf_id}/runs", json=body)
    assert answer.status_code == 202, answer.text
    return wait_for_run(api, answer.json()["run_id"], timeout_s=timeout_s)


def nodes_of(run_: dict) -> dict:
    return {n["node_id"]: n for n in run_["nodes"]}


def page(api, run_id, node_id, offset, limit=50) -> list[dict]:
    answer = api.get(f"/api/runs/{run_id}/nodes/{node_id}/output", params={"offset": offset, "limit": limit})
    assert answer.status_code == 200, answer.text
    return answer.json()["records"]


def test_a_200k_record_yield_map_run_spills_and_keeps_its_run_process_memory_bounded(spilling):
    api, scratch = spilling
    wf = create(api, [py("gen", "python.yield", GEN), py("mark", "python.map", HWM)], [("gen", "mark")])
    done = run(api, wf)
    assert done["status"] == "completed", done
    nodes = nodes_of(done)
    assert nodes["gen"]["records_out"] == 200_000 and nodes["mark"]["records_out"] == 200_000
    logs = api.get(f"/api/runs/{done['id']}/nodes/gen/logs").json()["logs"]
    assert "spilled to disk" in logs, logs
    marks = [r for offset in range(0, 200_000, 10_000) for r in page(api, done["id"], "mark", offset, 1)]
    assert [r["n"] for r in marks] == list(range(0, 200_000, 10_000))  # every record kept, in order
    first, peak = marks[0]["rss_mb"], max(r["hwm_mb"] for r in marks)
    # Held in memory, gen's output alone would be ~250 MB by the time mark starts.
    assert peak - first < 120, [(r["n"], r["rss_mb"], r["hwm_mb"]) for r in marks]
    [host_folder] = scratch.iterdir()  # the run host's
    assert host_folder.is_dir() and list(host_folder.iterdir()) == []  # the run's folder went with it


def test_store_write_across_batches_is_all_or_nothing(spilling):
    api, _ = spilling
    store = f"bm-{uuid.uuid4().hex[:8]}"
    before = [{"id": f"r{i}", "n": -1} for i in range(5)]
    assert api.post(f"/api/stores/{store}/records", params={"create": "true"}, json=before).status_code < 300
    # 35,000 records in 4 batches; one in the last batch contains itself, which no store can hold.
    bad = ("def node(record):\n"
           "    for i in range(35_000):\n"
           "        out = {'id': f'r{i}', 'n': i}\n"
           "        if i == 32_000:\n"
           "            out['me'] = out\n"
           "        yield out\n")
    wf = create(api, [py("gen", "python.yield", bad),
                      {"id": "write", "type": "store.write", "config": {"store": store, "create": False}}],
                [("gen", "write")])
    done = run(api, wf)
    assert done["status"] == "failed", done
    error = nodes_of(done)["write"]["error"]
    assert error["node"] == "write" and error["record_id"] == "r32000", error
    assert store in error["message"] and wf == done["workflow_id"]
    described = api.get(f"/api/stores/{store}").json()
    assert described["count"] == 5  # nothing of the 32,000 records before it was written
    records = api.post(f"/api/stores/{store}/query", json={"limit": 10}).json()["records"]
    assert sorted((r["id"], r["n"]) for r in records) == [(f"r{i}", -1) for i in range(5)]

    good = create(api, [py("gen", "python.yield", bad.replace("out['me'] = out", "out['me'] = 'fine'")),
                        {"id": "write", "type": "store.write", "config": {"store": store, "create": False}}],
                  [("gen", "write")])
    assert run(api, good)["status"] == "completed"
    assert api.get(f"/api/stores/{store}").json()["count"] == 35_000


def test_partial_runs_and_pins_work_on_spilled_batches(spilling):
    api, _ = spilling
    gen = "def node(record):\n    for i in range(30_000):\n        yield {'id': str(i), 'n': i, 'pad': 'p' * 100}\n"
    double = "def node(record):\n    return {**record, 'double': record['n'] * 2}\n"
    wf = create(api, [py("gen", "python.yield", gen), py("double", "python.map", double)], [("gen", "double")])
    first = run(api, wf)
    assert first["status"] == "completed", first
    again = run(api, wf, start_at="double", reuse_from=first["id"])
    assert again["status"] == "completed", again
    nodes = nodes_of(again)
    assert nodes["gen"]["status"] == "reused" and nodes["gen"]["records_out"] == 30_000
    assert nodes["double"]["records_out"] == 30_000
    assert [r["double"] for r in page(api, again["id"], "double", 29_998)] == [59_996, 59_998]

    pinned = [{"id": f"p{i}", "n": i} for i in range(3)]
    pins = create(api, [py("gen", "python.yield", "def node(record):\n    raise RuntimeError('ran')\n", pinned=pinned),
                        py("double", "python.map", double)], [("gen", "double")])
    manual = run(api, pins)
    assert manual["status"] == "completed", manual
    assert [r["double"] for r in page(api, manual["id"], "double", 0)] == [0, 2, 4]


def test_a_run_killed_after_spilling_leaves_no_scratch_behind(spilling):
    api, scratch = spilling
    kill = "def node(record):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    gen = "def node(record):\n    for i in range(100_000):\n        yield {'id': str(i), 'pad': 'p' * 100}\n"
    wf = create(api, [py("gen", "python.yield", gen), py("die", "python.map", kill)], [("gen", "die")])
    done = run(api, wf)
    assert done["status"] == "crashed", done
    assert "spilled to disk" in api.get(f"/api/runs/{done['id']}/nodes/gen/logs").json()["logs"]
    [host_folder] = scratch.iterdir()
    # The run's process never got to remove its folder: the run host did when it reaped it.
    wait_until(lambda: not (host_folder / done["id"]).exists(), 10, "the killed run's scratch folder removed")


def test_a_run_cannot_read_another_live_runs_spilled_records_memory_or_environment(spilling):
    """The runs of one run host share its user, sandbox, PID namespace and scratch bind.
    A run's spill files have no name and its process is not dumpable, so another run
    finds no file to open and is refused its /proc/<pid>/environ, mem and open files —
    while the run itself still reads its own."""
    from engine.execution.sandbox import sandbox_available

    if not sandbox_available():  # as root without bubblewrap every process has CAP_SYS_PTRACE
        pytest.skip("needs the bubblewrap sandbox (make sandbox)")
    api, _ = spilling
    tag = f"/tmp/isolation-{uuid.uuid4().hex[:8]}"
    gen = "def node(record):\n    for i in range(50_000):\n        yield {'id': str(i), 'pad': 'p' * 100}\n"
    hold = ("import os, pathlib, time\n"
            "def node(record):\n"
            "    if record['id'] == '0':\n"
            "        record['own_environ'] = len(open('/proc/self/environ', 'rb').read()) > 0\n"
            "        record['own_fds'] = len(os.listdir('/proc/self/fd')) > 0\n"
            f"        pathlib.Path('{tag}.pid').write_text(str(os.getpid()))\n"
            "        for _ in range(600):\n"
            f"            if os.path.exists('{tag}.done'):\n"
            "                break\n"
            "            time.sleep(0.1)\n"
            "    return record\n")
    probe = ("import os, pathlib, time\n"
             "def node(record):\n"
             "    for _ in range(600):\n"
             f"        if os.path.exists('{tag}.pid'):\n"
             "            break\n"
             "        time.sleep(0.1)\n"
             f"    pid = int(pathlib.Path('{tag}.pid').read_text())\n"
             "    out = {'id': 'probe', 'other_pid': pid, 'own_pid': os.getpid()}\n"
             "    for what in ('environ', 'mem'):\n"
             "        try:\n"
             "            open(f'/proc/{pid}/{what}', 'rb').close()\n"
             "            out[what] = 'opened'\n"
             "        except OSError as exc:\n"
             "            out[what] = type(exc).__name__\n"
             "    try:  # its open files, the unnamed spill file among them\n"
             "        fds = os.listdir(f'/proc/{pid}/fd')\n"
             "    except OSError:\n"
             "        fds = []\n"
             "    out['fds_opened'] = 0\n"
             "    for fd in fds:\n"
             "        try:\n"
             "            open(f'/proc/{pid}/fd/{fd}', 'rb').close()\n"
             "            out['fds_opened'] += 1\n"
             "        except OSError:\n"
             "            pass\n"
             "    root = os.environ['WIREWORK_SCRATCH']\n"
             "    out['scratch_files'] = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]\n"
             "    out['scratch_folders'] = [d for d, _, _ in os.walk(root)]\n"
             f"    pathlib.Path('{tag}.done').write_text('1')\n"
             "    return out\n")
    spiller = create(api, [py("gen", "python.yield", gen), py("hold", "python.map", hold)], [("gen", "hold")])
    prober = create(api, [py("probe", "python.map", probe)], [])
    started = api.post(f"/api/workflows/{spiller}/runs", json={})
    assert started.status_code == 202, started.text
    probed = run(api, prober, timeout_s=120)
    held = wait_for_run(api, started.json()["run_id"], timeout_s=120)
    assert probed["status"] == "completed" and held["status"] == "completed", (probed, held)
    assert "spilled to disk" in api.get(f"/api/runs/{held['id']}/nodes/gen/logs").json()["logs"]
    [seen] = page(api, probed["id"], "probe", 0)
    assert seen["other_pid"] != seen["own_pid"]
    assert (seen["environ"], seen["mem"], seen["fds_opened"]) == ("PermissionError", "PermissionError", 0), seen
    assert any(held["id"] in folder for folder in seen["scratch_folders"]), seen  # the spilling run's folder…
    assert seen["scratch_files"] == [], seen  # …holds no file anyone could open
    first = page(api, held["id"], "hold", 0, limit=1)[0]
    assert first["own_environ"] is True and first["own_fds"] is True  # a run still reads its own /proc
