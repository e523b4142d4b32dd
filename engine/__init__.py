"""The workflow engine: model, validation, the Prefect executor and the CLI.

Other packages use only the names exported here.
"""

from engine.model.workflow import (
    EdgeSpec,
    NodeSpec,
    Schedule,
    Workflow,
    WorkflowFileError,
    load_workflow,
    parse_workflow,
    save_workflow,
)
from engine.model.validation import Problem, WorkflowInvalid, validate_workflow

__all__ = [
    "EdgeSpec",
    "NodeSpec",
    "Problem",
    "Schedule",
    "Workflow",
    "WorkflowFileError",
    "WorkflowInvalid",
    "load_workflow",
    "parse_workflow",
    "save_workflow",
    "validate_workflow",
]
