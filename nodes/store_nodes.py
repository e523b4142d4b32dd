"""`store.read` and `store.write`: shared stores as the source and sink of a flow.

Both reach stores only through `ctx.store_client` (in-process or HTTP). `store.read`
reads all records, a filtered subset, the first N, or — incrementally — only records
written (inserted or changed) since this node's last *successful* run of this workflow:
the cursor advance is registered with `ctx.on_run_success`, so a failed run reads the
same records again next time. `store.write` upserts its input by `id` as one write —
streamed batch by batch (`upsert_batches`: staged, then committed in one transaction, so
all or nothing however many batches) — logs how many records were inserted, updated and
unchanged, and passes its records on so a flow can continue after it. `store.read`
returns what the store answers as one list (the engine cuts it into batches).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from stores import NAME_PATTERN, RecordInvalid, StoreClient, StoreError

from .base import NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record

ReadMode = Literal["all", "filter", "limit", "incremental"]


def _store_field() -> Any:
    # `format: store` makes the editor show a picker of existing stores.
    return Field(..., title="Store", pattern=NAME_PATTERN, description="Name of the shared store.",
                 json_schema_extra={"format": "store"})


class StoreReadConfig(NodeConfig):
    store: str = _store_field()
    mode: ReadMode = Field(
        default="all", title="Mode",
        description="all records; filter (fields equal to values); limit (the first N); "
                    "incremental (only records written since this node's last successful run).")
    where: dict[str, Any] = Field(
        default_factory=dict, title="Filter",
        description='For mode "filter": field → value, all must match; dotted paths reach nested fields, '
                    'e.g. {"meta.lang": "en"}.')
    limit: int = Field(
        default=0, ge=0, title="Limit",
        description='For mode "limit": how many records. For "incremental": at most this many per run, '
                    "the rest next run (0 = all new records).")

    @model_validator(mode="after")
    def _mode_needs(self) -> "StoreReadConfig":
        if self.mode == "filter" and not self.where:
            raise ValueError('mode "filter" needs at least one field in "where"')
        if self.mode == "limit" and self.limit < 1:
            raise ValueError('mode "limit" needs "limit" of 1 or more')
        return self


class StoreWriteConfig(NodeConfig):
    store: str = _store_field()
    create: bool = Field(default=True, title="Create the store if missing")


def _store_failure(exc: StoreError, node_id: str) -> NodeError:
    record_id = exc.record_id if isinstance(exc, RecordInvalid) else None
    return NodeError(str(exc), node_id=node_id, record_id=None if record_id is None else str(record_id),
                     exception_type=type(exc).__name__)


class StoreRead(NodeType):
    type = "store.read"
    category = "source"
    title = "Store: read"
    description = ("Reads records from a shared store: all, filtered, the first N, or only new ones (incremental). "
                   "Wire a node into it to read only after that node finished (e.g. after a store write).")
    Config = StoreReadConfig
    inputs = "order"
    config: StoreReadConfig

    def references(self) -> NodeReferences:
        return NodeReferences.of(stores=[self.config.store])

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        client = ctx.require_store_client()
        c = self.config
        try:
            if c.mode == "incremental":
                return self._incremental(ctx, client)
            if c.mode == "filter":
                out = client.read(c.store, where=c.where)
            elif c.mode == "limit":
                out = client.read(c.store, limit=c.limit)
            else:
                out = client.read(c.store)
        except StoreError as exc:
            raise _store_failure(exc, self.node_id) from None
        ctx.logger.info('read %d record(s) from store "%s" (mode %s)', len(out), c.store, c.mode)
        return out

    def _incremental(self, ctx: NodeContext, client: StoreClient) -> list[Record]:
        c = self.config
        after = client.get_cursor(ctx.workflow_id, self.node_id, c.store)
        result = client.read_since(c.store, after, c.limit or None)
        last_seq = result["last_seq"]
        out = result["records"]
        ctx.logger.info('read %d new record(s) from store "%s" (seq %d → %d); the cursor moves on when the run '
                        "succeeds", len(out), c.store, after, last_seq)
        if last_seq > after:
            workflow_id, node_id, store = ctx.workflow_id, self.node_id, c.store
            # Forward only, so overlapping runs never move it back.
            ctx.on_run_success(lambda: client.advance_cursor(workflow_id, node_id, store, last_seq))
        return out


class StoreWrite(NodeType):
    type = "store.write"
    category = "sink"
    title = "Store: write"
    description = ("Upserts records into a shared store by id (one transaction) and passes them on; "
                   "logs how many were inserted, updated and unchanged.")
    Config = StoreWriteConfig
    config: StoreWriteConfig

    def references(self) -> NodeReferences:
        return NodeReferences.of(stores=[self.config.store])

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        self.run_batches(ctx, [records])
        return records

    def run_batches(self, ctx: NodeContext, batches: Iterable[list[Record]]) -> Iterable[list[Record]]:
        """Streams the input to the store as one write and passes the same batches on."""
        client = ctx.require_store_client()
        name = self.config.store
        try:
            # Created in the same transaction as the records: a refused write leaves no empty store.
            counts = client.upsert_batches(name, _checking_cancel(ctx, batches), create=self.config.create)
        except StoreError as exc:
            raise _store_failure(exc, self.node_id) from None
        self._log_counts(ctx, name, counts)
        return batches

    @staticmethod
    def _log_counts(ctx: NodeContext, name: str, counts: dict[str, int]) -> None:
        ctx.logger.info('store "%s": %d inserted, %d updated, %d unchanged', name, counts.get("inserted", 0),
                        counts.get("updated", 0), counts.get("unchanged", 0))


def _checking_cancel(ctx: NodeContext, batches: Iterable[list[Record]]) -> Iterator[list[Record]]:
    """The batches, the run's cancellation checked before each (a cancelled write is aborted)."""
    for batch in batches:
        ctx.check_cancelled()
        yield batch
