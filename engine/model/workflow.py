"""The workflow model: pydantic shapes of workflows, nodes, edges and schedules.

This module owns the *structure* of a workflow document (what the editor saves and
`flows/*.json` hold) and reading/writing it as JSON. Whether a structurally valid
workflow can run (cycles, unknown node types, bad configs, bad cron) is the job of
`engine.validation`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stores import NAME_PATTERN, Invalid  # names end up in file names, table names and URLs: one rule
# Node ids are referenced by edges and shown in the editor; keep them URL-safe.
NODE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
DEFAULT_NODE_TIMEOUT_S = 3600.0
MAX_PINNED_RECORDS = 10_000  # pinned records live in every saved version of the document


class Position(BaseModel):
    x: float = 0.0
    y: float = 0.0


class NodeSpec(BaseModel):
    """One node on the canvas: its type, its config and how it is retried."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=NODE_ID_PATTERN)
    type: str = Field(min_length=1)
    label: str = ""
    position: Position = Field(default_factory=Position)
    config: dict[str, Any] = Field(default_factory=dict)
    retries: int = Field(default=0, ge=0, le=10)
    retry_delay_s: float = Field(default=0.0, ge=0.0, le=3600.0)
    # None: the engine's default (DEFAULT_NODE_TIMEOUT_S), so runaway user code always ends.
    timeout_s: float | None = Field(default=None, gt=0.0, le=86400.0)
    pinned: list[dict[str, Any]] | None = Field(
        default=None, max_length=MAX_PINNED_RECORDS,
        description="records a manual run emits instead of running the node (status `pinned`); scheduled "
                    "and webhook runs ignore them unless the workflow's `pins_in_triggered_runs` is on. "
                    "null: not pinned")
    disabled: bool = Field(default=False, description="the node passes its input through unchanged instead of "
                                                      "running (status `skipped`); its config is not checked")

    @property
    def title(self) -> str:
        return self.label or self.id


class EdgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = ""
    source: str
    target: str

    def model_post_init(self, __context: Any) -> None:
        if not self.id:
            self.id = f"{self.source}->{self.target}"


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cron: str | None = None
    timezone: str = "UTC"
    enabled: bool = False


class Note(BaseModel):
    """A sticky note on the canvas: free text the engine never reads, saved with the workflow."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=NODE_ID_PATTERN)
    text: str = Field(default="", max_length=20_000)
    position: Position = Field(default_factory=Position)
    width: float | None = Field(default=None, gt=0.0, le=10_000.0)
    height: float | None = Field(default=None, gt=0.0, le=10_000.0)


class Workflow(BaseModel):
    """A whole workflow document; `version` increases on every save."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=NAME_PATTERN)
    name: str = ""
    version: int = Field(default=1, ge=1)
    description: str = ""
    nodes: list[NodeSpec] = Field(default_factory=list)
    edges: list[EdgeSpec] = Field(default_factory=list)
    schedule: Schedule = Field(default_factory=Schedule)
    notes: list[Note] = Field(default_factory=list, description="sticky notes of the canvas (the engine ignores them)")
    memory_mb: int | None = Field(
        default=None, ge=64, le=2**20,
        description="memory limit of one run of this workflow, in MB (every process it starts counted); "
                    "default WIREWORK_RUN_MEMORY_MB, else a quarter of the machine's RAM")
    retry_crashed: int = Field(
        default=0, ge=0, le=10,
        description="how many times a crashed scheduled or webhook run is started again (its worker process "
                    "died before the run ended); never a manual run, a failed one or one the user cancelled")
    max_concurrent_runs: int | None = Field(
        default=None, ge=1, le=1000,
        description="at most this many runs of this workflow at once (more wait, queued, in order); "
                    "default: only the server's limit (WIREWORK_MAX_CONCURRENT_RUNS)")

    pins_in_triggered_runs: bool = Field(
        default=False, description="scheduled and webhook runs emit pinned nodes' records too "
                                   "(default: only manual runs use pins)")

    def node(self, node_id: str) -> NodeSpec:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


class WorkflowFileError(Invalid):
    """A workflow document that cannot even be parsed into the model."""

    kind = "invalid_workflow"

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    @property
    def detail(self) -> str:
        # Without the source: to an API caller it is the document they sent, not a path here.
        return "; ".join(self.problems)


def parse_workflow(document: dict[str, Any] | str, source: str = "<workflow>") -> Workflow:
    """Build a Workflow from a dict or JSON text, with errors that say where."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise WorkflowFileError(source, [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]) from None
    if not isinstance(document, dict):
        raise WorkflowFileError(source, ["a workflow must be a JSON object"])
    try:
        return Workflow.model_validate(document)
    except ValidationError as exc:
        raise WorkflowFileError(source, [_describe_error(document, err) for err in exc.errors()]) from None


def _describe_error(document: dict[str, Any], err: Any) -> str:
    """Turn a pydantic error location like ('nodes', 2, 'id') into 'node "scrape": id ...'."""
    loc = list(err["loc"])
    where = ".".join(str(part) for part in loc)
    if len(loc) >= 2 and loc[0] in ("nodes", "edges") and isinstance(loc[1], int):
        items = document.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
        kind = "node" if loc[0] == "nodes" else "edge"
        name = item.get("id") or f"#{loc[1]}"
        field = ".".join(str(part) for part in loc[2:]) or kind
        where = f'{kind} "{name}": {field}'
    return f"{where}: {err['msg']}"


def load_workflow(path: str | Path) -> Workflow:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkflowFileError(str(path), [f"cannot read file: {exc.strerror}"]) from None
    return parse_workflow(text, source=str(path))


def save_workflow(workflow: Workflow, path: str | Path) -> None:
    Path(path).write_text(workflow.to_json() + "\n", encoding="utf-8")
