"""The node type registry: built-in node types plus plugins from entry points.

Plugins are classes registered under the entry point group `wirework.nodes`; a plugin
that fails to import is reported (not silently dropped) and never breaks built-ins.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Iterable

from .base import NodeType

ENTRY_POINT_GROUP = "wirework.nodes"
log = logging.getLogger("wirework.nodes")


class UnknownNodeType(KeyError):
    def __init__(self, type_id: str, known: Iterable[str]):
        super().__init__(type_id)
        self.type_id = type_id
        self.known = sorted(known)

    def __str__(self) -> str:
        return f'unknown node type "{self.type_id}" (known: {", ".join(self.known)})'


class NodeRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[NodeType]] = {}
        self.plugin_errors: dict[str, str] = {}

    def register(self, node_type: type[NodeType]) -> type[NodeType]:
        existing = self._types.get(node_type.type)
        if existing is not None and existing is not node_type:
            raise ValueError(f'node type "{node_type.type}" is already registered by {existing.__module__}')
        self._types[node_type.type] = node_type
        return node_type

    def get(self, type_id: str) -> type[NodeType]:
        try:
            return self._types[type_id]
        except KeyError:
            raise UnknownNodeType(type_id, self._types) from None

    def __contains__(self, type_id: str) -> bool:
        return type_id in self._types

    def types(self) -> list[type[NodeType]]:
        return [self._types[k] for k in sorted(self._types)]

    def load_plugins(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                self.register(ep.load())
            except Exception as exc:  # a broken plugin must not take the engine down
                self.plugin_errors[ep.name] = f"{type(exc).__name__}: {exc}"
                log.warning("node plugin %s failed to load: %s", ep.name, exc)


def _builtin_types() -> list[type[NodeType]]:
    from .python_nodes import PythonAggregate, PythonMap, PythonYield

    types: list[type[NodeType]] = [PythonMap, PythonYield, PythonAggregate]
    from .scrape_node import HttpScrape
    from .slack_node import SlackPost
    from .webhook_node import WebhookPost

    types += [HttpScrape, WebhookPost, SlackPost]
    from .labeling_node import LabelingEnrich

    types.append(LabelingEnrich)
    from .store_nodes import StoreRead, StoreWrite

    types += [StoreRead, StoreWrite]
    return types


_default: NodeRegistry | None = None


def default_registry() -> NodeRegistry:
    """The process-wide registry: built-ins first, then entry-point plugins."""
    global _default
    if _default is None:
        registry = NodeRegistry()
        for node_type in _builtin_types():
            registry.register(node_type)
        registry.load_plugins()
        _default = registry
    return _default
