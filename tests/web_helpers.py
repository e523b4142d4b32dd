"""Running one node type directly (no Prefect) against real local HTTP servers."""

from __future__ import annotations

import logging
from typing import Any

from engine.model.validation import instantiate
from nodes import NodeContext, NodeType, default_registry


def make_node(type_id: str, config: dict, node_id: str = "web") -> NodeType:
    node = instantiate(default_registry().get(type_id), node_id, config)
    problems = node.check()
    assert not problems, [p.message for p in problems]
    return node


def make_ctx(node_id: str = "web", store_client: Any = None) -> NodeContext:
    return NodeContext(
        workflow_id="web-test", run_id="run-1", node_id=node_id,
        logger=logging.getLogger(f"wirework.node.{node_id}"),
        trigger={"id": "run-1", "trigger": "manual", "payload": None, "time": "2026-11-23T00:00:00Z"},
        store_client=store_client,
    )


def run_node(type_id: str, config: dict, records: list[dict] | None = None, *, node_id: str = "web",
             store_client: Any = None) -> list[dict]:
    node = make_node(type_id, config, node_id)
    ctx = make_ctx(node_id, store_client)
    return node.run(ctx, records if records is not None else [dict(ctx.trigger)])
