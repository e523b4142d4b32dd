"""Which nodes of a run execute, and where every node's input comes from.

`node_inputs` is the fan-in of each node: the nodes whose outputs it receives, in edge
order (the order `ActiveRun.inputs_of` concatenates them); a node with none receives the
trigger record. The server keeps it with each run, so a node's input can be read back
from the outputs of its upstream nodes (engine/server/services/run_data.py) rather than
being stored a second time.

`plan_partial` is issue 16's partial run: `start_at` executes that node and everything
downstream of it, `only` executes that node alone. Every node that feeds an executed node
and is not executed itself is *reused*: its output is taken from an earlier run
(`reuse_from`), it does not run (status `reused`). The rest is `not_run` — e.g. a branch
beside the node, or with `only` everything downstream of it, whose earlier outputs would
no longer match the new one.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from stores import Invalid

from engine.model.validation import build_graph
from engine.model.workflow import Workflow


def node_inputs(workflow: Workflow) -> dict[str, list[str]]:
    """Per node, the upstream nodes whose outputs it receives, in edge order."""
    inputs: dict[str, list[str]] = {node.id: [] for node in workflow.nodes}
    for edge in workflow.edges:
        if edge.target in inputs and edge.source not in inputs[edge.target]:
            inputs[edge.target].append(edge.source)
    return inputs


class PartialRunInvalid(Invalid):
    kind = "invalid_partial_run"


@dataclass(frozen=True)
class PartialPlan:
    mode: str  # "start_at" | "only"
    node: str
    execute: frozenset[str]
    reuse: frozenset[str]
    not_run: frozenset[str]

    def to_job(self) -> dict:
        return {"mode": self.mode, "node": self.node, "execute": sorted(self.execute), "reuse": sorted(self.reuse),
                "not_run": sorted(self.not_run)}


def plan_partial(workflow: Workflow, start_at: str | None = None, only: str | None = None) -> PartialPlan:
    """The plan of a partial run of `workflow` (which must be valid: no cycles)."""
    if (start_at is None) == (only is None):
        raise PartialRunInvalid("a partial run takes either start_at or only, not both")
    mode, node = ("start_at", start_at) if start_at is not None else ("only", only)
    assert node is not None
    graph = build_graph(workflow)
    if node not in graph:
        raise PartialRunInvalid(f'workflow "{workflow.id}" has no node "{node}" to {"start at" if mode == "start_at" else "run"}')
    execute = {node} | (nx.descendants(graph, node) if mode == "start_at" else set())
    needed: set[str] = set()
    for executed in execute:
        needed |= nx.ancestors(graph, executed)
    reuse = needed - execute
    not_run = set(graph.nodes) - execute - reuse
    return PartialPlan(mode, node, frozenset(execute), frozenset(reuse), frozenset(not_run))
