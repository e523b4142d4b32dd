"""What one run may reach: the secrets, stores and labeling projects its workflow names.

The API issues each run a token bound to a `RunScope` computed here from the exact
workflow version the run executes (every node type declares its references through
`NodeType.references()`), and refuses that token anything outside it
(engine/api/security.py). So a workflow author gets the secrets their workflow names
and nothing else — not another workflow's Slack URL, not the server's own token.
"""

from __future__ import annotations

from dataclasses import dataclass

from nodes import NodeRegistry, default_registry

from engine.model.workflow import Workflow
from engine.model.validation import instantiate


@dataclass(frozen=True)
class RunScope:
    run_id: str
    workflow_id: str
    secrets: frozenset[str] = frozenset()
    stores: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()


def scope_of(run_id: str, workflow: Workflow, registry: NodeRegistry | None = None) -> RunScope:
    """The scope of a run of `workflow` (which must be valid: configs are instantiated)."""
    registry = registry or default_registry()
    secrets: set[str] = set()
    stores: set[str] = set()
    projects: set[str] = set()
    for spec in workflow.nodes:
        if spec.disabled:
            continue  # a disabled node never runs: it reaches nothing (and its config may be unfinished)
        references = instantiate(registry.get(spec.type), spec.id, spec.config).references()
        secrets |= references.secrets
        stores |= references.stores
        projects |= references.projects
    return RunScope(run_id, workflow.id, frozenset(secrets), frozenset(stores), frozenset(projects))
