"""Node types: the registry and the base classes node authors build on."""

from .base import (
    ConfigProblem, NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record, RunCancelled,
)
from .registry import NodeRegistry, UnknownNodeType, default_registry

__all__ = [
    "ConfigProblem",
    "NodeConfig",
    "NodeContext",
    "NodeError",
    "NodeReferences",
    "NodeRegistry",
    "NodeType",
    "Record",
    "RunCancelled",
    "UnknownNodeType",
    "default_registry",
]
