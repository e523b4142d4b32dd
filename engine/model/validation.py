"""Checks that a workflow can run, reporting every problem at once.

A problem names the node or edge it is about (and the code line where there is one),
so the CLI can print it and the editor can paint that node red.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import networkx as nx
from croniter import croniter
from pydantic import ValidationError

from nodes import Invalid, NodeRegistry, NodeType, UnknownNodeType, default_registry

from engine.model.cron import never_fires_reason
from engine.model.workflow import Workflow


@dataclass
class Problem:
    code: str  # machine-readable kind: cycle, missing_node, duplicate_id, ...
    message: str
    node: str | None = None
    edge: str | None = None
    field: str | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        where = []
        if self.node:
            where.append(f'node "{self.node}"')
        if self.edge:
            where.append(f'edge "{self.edge}"')
        if self.field:
            where.append(self.field)
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class WorkflowInvalid(Invalid):
    """A workflow that cannot run; carries every problem, the first one's node up front."""

    kind = "workflow_invalid"

    def __init__(self, workflow_id: str, problems: list[Problem]):
        self.workflow_id = workflow_id
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f'workflow "{workflow_id}" is not valid:\n{lines}')

    def details(self) -> dict:
        first = self.problems[0] if self.problems else None
        return {"node": first.node if first else None, "problems": [p.to_dict() for p in self.problems]}


def build_graph(workflow: Workflow) -> nx.DiGraph:
    """The node graph, edges in document order (fan-in concatenates in that order)."""
    graph = nx.DiGraph()
    for node in workflow.nodes:
        graph.add_node(node.id)
    for order, edge in enumerate(workflow.edges):
        graph.add_edge(edge.source, edge.target, order=order, id=edge.id)
    return graph


def instantiate(spec_type: type[NodeType], node_id: str, config: dict) -> NodeType:
    return spec_type(spec_type.Config.model_validate(config), node_id=node_id)


def validate_workflow(workflow: Workflow, registry: NodeRegistry | None = None) -> list[Problem]:
    registry = registry or default_registry()
    problems: list[Problem] = []
    node_ids: set[str] = set()
    for node in workflow.nodes:
        if node.id in node_ids:
            problems.append(Problem("duplicate_id", f'two nodes share the id "{node.id}"', node=node.id))
        node_ids.add(node.id)
    edge_ids: set[str] = set()
    seen_pairs: set[tuple[str, str]] = set()
    for edge in workflow.edges:
        if edge.id in edge_ids:
            problems.append(Problem("duplicate_id", f'two edges share the id "{edge.id}"', edge=edge.id))
        edge_ids.add(edge.id)
        for end in ("source", "target"):
            ref = getattr(edge, end)
            if ref not in node_ids:
                problems.append(Problem("missing_node", f'{end} "{ref}" is not a node of this workflow', edge=edge.id))
        if edge.source == edge.target:
            problems.append(Problem("cycle", "an edge cannot connect a node to itself", node=edge.source, edge=edge.id))
        if (edge.source, edge.target) in seen_pairs:
            problems.append(Problem("duplicate_edge", f'"{edge.source}" is already wired to "{edge.target}"', edge=edge.id))
        seen_pairs.add((edge.source, edge.target))

    graph = build_graph(workflow)
    graph.remove_edges_from(list(nx.selfloop_edges(graph)))
    for cycle in nx.simple_cycles(graph):
        path = " → ".join([*cycle, cycle[0]])
        problems.append(Problem("cycle", f"the workflow has a cycle: {path}", node=cycle[0]))

    for node in workflow.nodes:
        try:
            node_type = registry.get(node.type)
        except UnknownNodeType as exc:
            problems.append(Problem("unknown_type", str(exc), node=node.id))
            continue
        if node_type.input_mode() == "none" and node.id in graph and graph.in_degree(node.id) > 0:
            problems.append(Problem("source_has_input", f'"{node.type}" is a source and cannot have inputs', node=node.id))
        if node.disabled:
            continue  # it passes its input through and never runs: an unfinished config is fine
        try:
            instance = instantiate(node_type, node.id, node.config)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or None
                problems.append(Problem("config", err["msg"], node=node.id, field=field))
            continue
        for issue in instance.check():
            problems.append(Problem("config", issue.message, node=node.id, field=issue.field, line=issue.line))

    problems.extend(schedule_problems(workflow))
    return problems


def schedule_problems(workflow: Workflow) -> list[Problem]:
    schedule = workflow.schedule
    problems: list[Problem] = []
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem("schedule", f'unknown timezone "{schedule.timezone}"', field="schedule.timezone"))
    if schedule.cron is None:
        if schedule.enabled:
            problems.append(Problem("schedule", "the schedule is enabled but has no cron expression", field="schedule.cron"))
    elif not croniter.is_valid(schedule.cron) or len(schedule.cron.split()) != 5:
        problems.append(Problem("schedule", f'"{schedule.cron}" is not a valid 5-field cron expression', field="schedule.cron"))
    elif (reason := never_fires_reason(schedule.cron)) is not None:
        problems.append(Problem("schedule", reason, field="schedule.cron"))
    return problems


def next_run_times(cron: str, timezone: str, count: int = 5, start: datetime | None = None) -> list[datetime]:
    tz = ZoneInfo(timezone)
    base = start.astimezone(tz) if start else datetime.now(tz)
    it = croniter(cron, base)
    return [it.get_next(datetime) for _ in range(count)]


def ensure_valid(workflow: Workflow, registry: NodeRegistry | None = None) -> None:
    problems = validate_workflow(workflow, registry)
    if problems:
        raise WorkflowInvalid(workflow.id, problems)
