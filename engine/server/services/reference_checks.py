"""Validation that knows the world (issue 16 part 5): the stores, secrets, labeling
projects and tasks a workflow names must exist.

`engine/model/validation.py` checks a document on its own, in any process; only the API
process sees the stores, secrets and labeling projects, so these checks live here and
join it in `labeling_checks.server_problems` (`POST /api/validate`, a saved workflow's
problems, the versions list, starting a run, a schedule). Without them a missing one
failed only at run time, with an error naming an internal route.

A store counts as existing when a `store.write` node upstream of the node that reads it
writes it (it will exist by then) — or when the node is itself a `store.write` that
creates a missing store (`create`, the default). A disabled node is not checked: it never
runs. `World` reads each list once, so checking every saved version costs a few queries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pydantic import ValidationError

from nodes import NodeRegistry, UnknownNodeType, default_registry
from stores import WireworkError

from engine.model.validation import Problem, build_graph, instantiate
from engine.model.workflow import Workflow

log = logging.getLogger("wirework.server")
STORE_WRITE = "store.write"
ENRICH = "labeling.enrich"


@dataclass
class World:
    """What exists, read lazily and once: stores, secrets, labeling projects and their tasks."""

    stores_client: Any
    labeling: Any
    _stores: set[str] | None = None
    _secrets: set[str] | None = None
    _tasks: dict[str, set[str] | None] = field(default_factory=dict)  # project -> task names (None: no project)

    def store_exists(self, name: str) -> bool | None:
        if self.stores_client is None:
            return None
        if self._stores is None:
            self._stores = {entry["name"] for entry in self.stores_client.list_stores()}
        return name in self._stores

    def secret_exists(self, name: str) -> bool | None:
        if self.stores_client is None:
            return None
        if self._secrets is None:
            self._secrets = {entry["name"] for entry in self.stores_client.list_secrets()}
        return name in self._secrets

    def can_see_labeling(self) -> bool:
        return self.labeling is not None

    def project_tasks(self, project: str) -> set[str] | None:
        """The project's task names; None: no such project (ask `can_see_labeling` first)."""
        if project not in self._tasks:
            repo = self.labeling.repo
            self._tasks[project] = ({task["name"] for task in repo.tasks(project)}
                                    if repo.project(project) is not None else None)
        return self._tasks[project]


def reference_problems(workflow: Workflow, world: World, registry: NodeRegistry | None = None) -> list[Problem]:
    registry = registry or default_registry()
    try:
        graph = build_graph(workflow)
        writers = {node.id: node.config.get("store") for node in workflow.nodes
                   if node.type == STORE_WRITE and not node.disabled}
    except Exception:  # a graph validation already refuses
        return []
    problems: list[Problem] = []
    for spec in workflow.nodes:
        if spec.disabled:
            continue
        try:
            instance = instantiate(registry.get(spec.type), spec.id, spec.config)
        except (UnknownNodeType, ValidationError, WireworkError):
            continue  # validate_workflow reports it
        references = instance.references()
        try:
            problems += _store_problems(spec, references.stores, world, graph, writers)
            for name in sorted(references.secrets):
                if world.secret_exists(name) is False:
                    problems.append(Problem("missing_secret", f'secret "{name}" does not exist: add it on the '
                                            "Secrets page", node=spec.id))
            for project in sorted(references.projects):
                problems += _labeling_problems(spec, project, world)
        except WireworkError as exc:  # a store file that cannot be read is no problem of the workflow
            log.debug('validation: references of node "%s" not checked: %s', spec.id, exc)
    return problems


def _store_problems(spec: Any, stores: frozenset[str], world: World, graph: nx.DiGraph,
                    writers: dict[str, Any]) -> list[Problem]:
    problems = []
    for name in sorted(stores):
        if spec.type == STORE_WRITE and spec.config.get("create", True):
            continue  # it creates the store
        if world.store_exists(name) is not False:
            continue
        upstream = nx.ancestors(graph, spec.id) if spec.id in graph else set()
        if any(writers.get(node_id) == name for node_id in upstream):
            continue  # written earlier in this flow
        problems.append(Problem("missing_store", f'store "{name}" does not exist: create it on the Stores page, or '
                                "write it with a store.write node before this one", node=spec.id, field="store"))
    return problems


def _labeling_problems(spec: Any, project: str, world: World) -> list[Problem]:
    if not world.can_see_labeling():
        return []
    tasks = world.project_tasks(project)
    if tasks is None:
        return [Problem("missing_project", f'labeling project "{project}" does not exist: create it in the '
                        "Labeling section", node=spec.id, field="project")]
    wanted = spec.config.get("tasks") if spec.type == ENRICH else None
    missing = [task for task in (wanted or []) if isinstance(task, str) and task not in tasks]
    return [Problem("missing_task", f'labeling project "{project}" has no task "{task}"'
                    + (f' (its tasks: {", ".join(sorted(tasks))})' if tasks else " (it has no tasks yet)"),
                    node=spec.id, field="tasks") for task in missing]
