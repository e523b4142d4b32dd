"""What every node type is: a config model, a category and a `run(ctx, records)`.

Node types are plain classes. The engine builds one instance per node per run from the
node's validated config and calls `run_batches` with the node's input as record batches
(in order; iterating them again starts over). Its default gathers every batch into one
list and calls `run(ctx, records)`, so most node types (python.aggregate,
labeling.enrich, slack.post, http.*) keep receiving their whole input as a list; the
ones that handle any number of records (python.map, python.yield, store.write,
store.read) override `run_batches` and never hold it all. Errors a user can hit are
`NodeError`s that name the node and, where there is one, the record.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from stores.client import StoreClient, StoreSecrets

if TYPE_CHECKING:
    from .secret_values import SecretMask

Category = Literal["source", "transform", "sink"]
Record = dict[str, Any]


class NodeConfig(BaseModel):
    """Base of every node type's config: unknown keys are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class ConfigProblem:
    """A problem found in a node's config before any run (e.g. code that does not compile)."""

    message: str
    field: str | None = None
    line: int | None = None


def error_text(error: dict[str, Any]) -> str:
    """A node error (`NodeError.to_dict()`) as one line, its type once: errors from user code
    carry the type in their message already ("KeyError: 'missing'"), others do not."""
    kind, message = str(error.get("type") or ""), str(error.get("message") or "")
    if not kind or message == kind or message.startswith(f"{kind}:"):
        return message
    return f"{kind}: {message}"


class NodeError(Exception):
    """A node failed in a way the user can act on.

    `user_line` is the line in the user's own code, `record_id` the record being
    processed; both are shown by the CLI, stored with the run and sent to the editor.
    """

    def __init__(
        self,
        message: str,
        *,
        node_id: str | None = None,
        record_id: str | None = None,
        user_line: int | None = None,
        source_line: str | None = None,
        exception_type: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.node_id = node_id
        self.record_id = record_id
        self.user_line = user_line
        self.source_line = source_line
        self.exception_type = exception_type or type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.exception_type,
            "message": self.message,
            "node": self.node_id,
            "record_id": self.record_id,
            "line": self.user_line,
            "source_line": self.source_line,
        }

    def __str__(self) -> str:
        parts = []
        if self.node_id:
            parts.append(f'node "{self.node_id}"')
        if self.record_id is not None:
            parts.append(f'record "{self.record_id}"')
        if self.user_line is not None:
            parts.append(f"line {self.user_line}")
        where = ", ".join(parts)
        return f"{where}: {self.message}" if where else self.message


class RunCancelled(Exception):
    """Raised inside a node when its run was cancelled."""


@dataclass(frozen=True)
class NodeReferences:
    """The named things a node reaches while it runs: secrets, stores, labeling projects.

    A run is issued a token that can read exactly the union of its nodes' references, so
    a node type must list every name it passes to the store client (`NodeType.references`).
    """

    secrets: frozenset[str] = frozenset()
    stores: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, secrets: Any = (), stores: Any = (), projects: Any = ()) -> "NodeReferences":
        """From iterables of names; empty names (unset optional fields) are left out."""
        return cls(frozenset(n for n in secrets if n), frozenset(n for n in stores if n),
                   frozenset(n for n in projects if n))

    def __or__(self, other: "NodeReferences") -> "NodeReferences":
        return NodeReferences(self.secrets | other.secrets, self.stores | other.stores,
                              self.projects | other.projects)

    def __bool__(self) -> bool:
        return bool(self.secrets or self.stores or self.projects)


def _new_mask() -> "SecretMask":
    # Imported here: secret_values imports this module (NodeContext, NodeError).
    from .secret_values import SecretMask

    return SecretMask()


@dataclass
class NodeContext:
    """What a node may use while it runs.

    `store_client` is the only way to reach stores, cursors, secrets and labeling
    projects (in-process or over HTTP, the same `StoreClient` protocol either way);
    `secrets` answers secret names when there is no store client. `mask` holds every
    secret value this node resolved (`secret_values.resolve_secret` registers them): the
    engine applies it to the node's error, logs and output sample, and to the exception
    Prefect records. `cancel_event` is the run's: set when the run is cancelled (the
    worker got SIGTERM), so a node that calls `check_cancelled` between batches stops
    with RunCancelled instead of being killed.
    """

    workflow_id: str
    run_id: str
    node_id: str
    logger: logging.Logger
    trigger: Record
    store_client: StoreClient | None = None
    secrets: StoreSecrets | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    # Work to do only if the whole run succeeds (e.g. advancing an incremental cursor,
    # so a failed run re-reads the same records next time). Filled by nodes, run by the engine.
    success_actions: list[Callable[[], object]] = field(default_factory=list)
    mask: "SecretMask" = field(default_factory=_new_mask)

    def on_run_success(self, action: Callable[[], object]) -> None:
        self.success_actions.append(action)

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise RunCancelled(f'run {self.run_id} was cancelled while node "{self.node_id}" ran')

    def require_store_client(self) -> StoreClient:
        """The run's store client, or a NodeError saying how to run with one."""
        if self.store_client is None:
            raise NodeError("this run has no access to stores (no store client); run it through `wirework run` "
                            "or the server", node_id=self.node_id)
        return self.store_client


# Spelled out here: inside NodeType, `type` is the node type's id (a class attribute).
ConfigClass = type[NodeConfig]


class NodeType:
    """Base class of node types. Subclasses set the class attributes and `run`."""

    type: ClassVar[str]
    category: ClassVar[Category]
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Config: ClassVar[ConfigClass] = NodeConfig
    # What the node does with incoming edges: "records" (it receives them), "order" (it
    # runs after its upstream nodes but does not read their records — e.g. a store read
    # that must follow a store write in the same run) or "none" (no inputs allowed).
    # None means: "none" for sources, "records" otherwise.
    inputs: ClassVar[str | None] = None

    def __init__(self, config: NodeConfig, node_id: str = ""):
        self.config = config
        self.node_id = node_id

    def check(self) -> list[ConfigProblem]:
        """Problems beyond the schema (compile user code, parse selectors...)."""
        return []

    def references(self) -> NodeReferences:
        """Every secret, store and labeling project this node reaches, from its validated
        config. The run's token can read exactly these and nothing else, so a node type
        that reaches a name through the store client must list it here."""
        return NodeReferences()

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        raise NotImplementedError

    def run_batches(self, ctx: NodeContext, batches: Iterable[list[Record]]) -> Iterable[list[Record]]:
        """The node's output as batches, given its input as batches. Default: the whole
        input as one list to `run`. Returning `batches` itself passes the input on
        unchanged (the engine then need not copy it)."""
        records = batches.records() if hasattr(batches, "records") else [r for batch in batches for r in batch]
        return [self.run(ctx, records)]

    @classmethod
    def input_mode(cls) -> str:
        return cls.inputs or ("none" if cls.category == "source" else "records")

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The node type as the API and the editor see it (schema drives the form)."""
        return {
            "type": cls.type,
            "category": cls.category,
            "inputs": cls.input_mode(),
            "title": cls.title or cls.type,
            "description": cls.description,
            "config_schema": cls.Config.model_json_schema(),
        }
