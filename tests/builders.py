"""Small helpers to write workflows in tests as readable Python."""

from __future__ import annotations

import textwrap
from typing import Any

from engine import Workflow


def code(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def node(node_id: str, type_: str, source: str | None = None, **extra: Any) -> dict:
    spec: dict[str, Any] = {"id": node_id, "type": type_, "config": {}}
    if source is not None:
        spec["config"]["code"] = code(source)
    spec.update(extra)
    return spec


def workflow(nodes: list[dict], edges: list[tuple[str, str]], wf_id: str = "test-flow", **extra: Any) -> Workflow:
    return Workflow.model_validate({
        "id": wf_id,
        "name": wf_id,
        "nodes": nodes,
        "edges": [{"id": f"e{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)],
        **extra,
    })
