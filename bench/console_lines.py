"""Console noise of a sample `wirework up` session (issue 17 part 10).

Starts a real `wirework up` (own Prefect server) in a temp data folder through
tests/server_harness.ServerProcess, runs one flow that succeeds and one whose node
raises, asks for a workflow that does not exist and sends a filter with a wildcard
path, stops the server, and counts the lines its console (stdout + stderr) got, by kind.
Run it at an older commit (`git archive <commit>` into a folder outside /tmp, the run
sandbox hides /tmp) for the baseline: measured 240 lines at 4a94d7c, 2 after issue 17.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.server_harness import ServerProcess, wait_for_run  # noqa: E402

GOOD = {"id": "good", "name": "good", "nodes": [
    {"id": "gen", "type": "python.yield",
     "config": {"code": "def node(r):\n    for i in range(5):\n        yield {'id': str(i)}\n"}},
    {"id": "write", "type": "store.write", "config": {"store": "quiet"}}],
    "edges": [{"source": "gen", "target": "write"}]}
BAD = {"id": "bad", "name": "bad", "nodes": [
    {"id": "gen", "type": "python.yield", "config": {"code": "def node(r):\n    yield {'id': 'a', 'v': 1 / 0}\n"}}],
    "edges": []}


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="wirework-console-"))
    server = ServerProcess(home, None, flows=None).start(timeout_s=180)
    statuses = {}
    try:
        with server.client() as api:
            for doc in (GOOD, BAD):
                api.post("/api/workflows", json=doc).raise_for_status()
                run_id = api.post(f"/api/workflows/{doc['id']}/runs", json={}).json()["run_id"]
                statuses[doc["id"]] = wait_for_run(api, run_id, timeout_s=120)["status"]
            api.get("/api/workflows/no-such-workflow")
            api.post("/api/stores/quiet/query", json={"where": {"*": 1}})
    finally:
        server.stop()
    lines = server.log().splitlines()
    print(json.dumps({
        "runs": statuses,
        "console_lines": len(lines),
        "nanobind_lines": sum("nanobind" in line or "leaked " in line for line in lines),
        "traceback_lines": sum(line.startswith(("Traceback", "  File ")) for line in lines),
        "prefect_run_lines": sum(" | Task run " in line or " | Flow run " in line for line in lines),
    }, indent=2))


if __name__ == "__main__":
    main()
