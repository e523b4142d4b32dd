"""Workflow validation that needs the server's labeling projects.

`engine/model/validation.py` checks a workflow on its own (every process, the CLI
included) and cannot reach labeling.duckdb, which the API process owns. This module adds
what only the server knows: a `labeling.enrich` node whose project has a task it predicts
that reads a text field occurring on none of the project's records (stores/labeling/
field_checks.py) would embed empty text and give every record the same confident label,
so that is a problem of the node. The server's validation paths (`POST /api/validate`,
the problems of a saved workflow, starting a run through the API) use `server_problems`.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.model.validation import Problem, validate_workflow
from engine.model.workflow import Workflow
from engine.server.services.reference_checks import World, reference_problems
from stores import WireworkError

ENRICH_TYPE = "labeling.enrich"
log = logging.getLogger("wirework.server")


def server_problems(workflow: Workflow, labeling: Any, stores: Any = None, world: World | None = None) -> list[Problem]:
    """Every problem of `validate_workflow`, plus what only the server sees: stores, secrets,
    labeling projects and tasks that do not exist (reference_checks.py) and the labeling
    projects' text-field problems. `world`: one snapshot shared by several checks."""
    world = world or World(stores, labeling)
    return validate_workflow(workflow) + reference_problems(workflow, world) + labeling_problems(workflow, labeling)


def labeling_problems(workflow: Workflow, labeling: Any) -> list[Problem]:
    if labeling is None:
        return []
    problems: list[Problem] = []
    for node in workflow.nodes:
        if node.type != ENRICH_TYPE or node.disabled:
            continue
        project, tasks = node.config.get("project"), node.config.get("tasks") or None
        if not isinstance(project, str) or (tasks is not None and not isinstance(tasks, list)):
            continue  # a bad config is validate_workflow's problem, reported there
        try:
            warnings = labeling.field_warnings(project, tasks)
        except WireworkError as exc:  # an unknown project or unreadable store is the run's error to name
            log.debug('validation: no field check of project "%s": %s', project, exc)
            continue
        for warning in warnings:
            problems.append(Problem("labeling_text_field", f'labeling project "{project}": {warning["message"]}; '
                                    "its predictions would all come from empty text",
                                    node=node.id, field="tasks" if tasks else "project"))
    return problems
