"""The workflow engine: model, validation, the Prefect executor and the CLI.

Other packages use only the names exported here.
"""

from stores import Conflict, Forbidden, Invalid, NotFound, Unavailable, WireworkError
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
    "Conflict",
    "EdgeSpec",
    "Forbidden",
    "Invalid",
    "NodeSpec",
    "NotFound",
    "Problem",
    "Schedule",
    "Unavailable",
    "WireworkError",
    "Workflow",
    "WorkflowFileError",
    "WorkflowInvalid",
    "load_workflow",
    "parse_workflow",
    "save_workflow",
    "validate_workflow",
]
