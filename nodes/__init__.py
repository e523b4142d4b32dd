"""Node types: the registry and the base classes node authors build on, and the error
family (re-exported from stores) that nodes raise."""

from stores import Conflict, Forbidden, Invalid, NotFound, Unavailable, WireworkError

from .base import (
    ConfigProblem, NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record, RunCancelled, error_text,
)
from .registry import NodeRegistry, UnknownNodeType, default_registry

__all__ = [
    "ConfigProblem",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NodeConfig",
    "NodeContext",
    "NodeError",
    "NodeReferences",
    "NodeRegistry",
    "NodeType",
    "NotFound",
    "Record",
    "RunCancelled",
    "UnknownNodeType",
    "Unavailable",
    "WireworkError",
    "default_registry",
    "error_text",
]
