"""`wirework run FILE` while `wirework up` owns the data folder: run the file on that
server and follow its live events, printing the same progress and summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO

import httpx
import orjson

from engine.model.workflow import Workflow
from engine.model.runs import NodeResult, RunInfo, RunSummary, utcnow


def _dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _node_result(data: dict[str, Any]) -> NodeResult:
    fields = {k: data[k] for k in NodeResult.__dataclass_fields__ if k in data}
    for key in ("started_at", "ended_at"):
        fields[key] = _dt(fields.get(key))
    return NodeResult(**fields)


def _events(client: httpx.Client, run_id: str):
    with client.stream("GET", f"/api/runs/{run_id}/events", timeout=None) as response:
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                yield event, orjson.loads(line[6:])


def run_on_server(url: str, token: str, workflow: Workflow, payload: Any, printer, out: TextIO) -> RunSummary:
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        response = client.post("/api/runs", content=orjson.dumps({"workflow": workflow.model_dump(mode="json"),
                                                                  "payload": payload}),
                               headers={"Content-Type": "application/json"})
        if response.status_code != 202:
            raise RuntimeError(f"the server refused the run: {response.json().get('detail', response.text)}")
        run_id = response.json()["run_id"]
        print(f"running on the wirework server at {url} (it owns this data folder)", file=out, flush=True)
        started = False
        for event, data in _events(client, run_id):
            if event in ("run_state", "run_started") and not started:
                started = True
                printer.run_started(RunInfo(run_id=run_id, workflow_id=workflow.id, workflow_version=workflow.version,
                                            trigger={}, node_ids=[n.id for n in workflow.nodes]))
            elif event == "node_started":
                printer.node_started(run_id, data["node_id"], data["attempt"], data["records_in"], _dt(data["at"]))
            elif event == "node_finished":
                printer.node_finished(_node_result(data))
            elif event == "run_finished":
                break
        run = client.get(f"/api/runs/{run_id}").json()
    nodes = {n["node_id"]: _node_result(n) for n in run["nodes"]}
    started_at = _dt(run["started_at"]) or utcnow()  # a run's row has its start from the moment it is queued
    return RunSummary(run_id, workflow.id, run["status"], run["error"], started_at, _dt(run["ended_at"]), nodes)
