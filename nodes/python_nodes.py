"""The three Python node families: map (1→0/1), yield (1→N) and aggregate (N→1/N).

Signatures match Kern AI's workflow so pasted code runs unmodified:
`def node(record: dict) -> dict` (None drops), `def node(record: dict)` as a generator,
and `def node(records: list[dict]) -> dict | list[dict]`. The secrets a node declares in
its `secrets` field are resolved when it runs and read by the code as `secrets["name"]`
(a read-only module global; only the declared ones, masked in everything the run keeps).

python.map and python.yield work batch by batch (`run_batches`): neither holds more than
one input and one output batch, so they handle any number of records. Their parallel
path (`parallelism`, over Dask partitions) still gathers the whole input first.
python.aggregate receives all its records as one list, by its nature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any
from uuid import uuid4

from pydantic import Field

from stores import NAME_PATTERN

from .base import ConfigProblem, NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record
from .parallelism import Parallelism, parallelism_field
from .secret_values import resolve_secret
from .user_code import (UserFunction, UserSecrets, compile_problems, generate_batches, load_user_function,
                        run_generator)

_MAP_EXAMPLE = '''def node(record: dict) -> dict:
    record["length"] = len(str(record))
    return record
'''
_YIELD_EXAMPLE = '''def node(record: dict):
    from uuid import uuid4
    for i in range(3):
        yield {"id": str(uuid4()), "n": i}
'''
_AGGREGATE_EXAMPLE = '''def node(records: list[dict]) -> dict:
    from datetime import datetime
    return {"id": str(datetime.today()), "text": f"{len(records)} records"}
'''


def _code_field(example: str) -> Any:
    # `format: python` tells the editor to show a code editor for this field.
    return Field(default=example, min_length=1, json_schema_extra={"format": "python"})


SecretName = Annotated[str, Field(pattern=NAME_PATTERN)]


def _secrets_field() -> Any:
    return Field(default_factory=list, title="Secrets",
                 description='Names of the secrets the code may read, as secrets["name"] (a read-only mapping '
                             "holding only these; their values are masked in logs, errors and samples).")


class MapConfig(NodeConfig):
    code: str = _code_field(_MAP_EXAMPLE)
    secrets: list[SecretName] = _secrets_field()
    parallelism: Parallelism | None = parallelism_field()


class YieldConfig(NodeConfig):
    code: str = _code_field(_YIELD_EXAMPLE)
    secrets: list[SecretName] = _secrets_field()
    parallelism: Parallelism | None = parallelism_field()


class AggregateConfig(NodeConfig):
    code: str = _code_field(_AGGREGATE_EXAMPLE)
    secrets: list[SecretName] = _secrets_field()


def _as_record(value: Any, fn: UserFunction, source_id: str | None, fallback_id: str | None) -> Record:
    """Check a value returned by user code is a record; give it a string id."""
    if not isinstance(value, dict):
        raise NodeError(
            f"the code returned {type(value).__name__}, expected a dict (a record)",
            node_id=fn.node_id, record_id=source_id, exception_type="TypeError",
        )
    record_id = value.get("id")
    if record_id is None:
        value["id"] = fallback_id if fallback_id is not None else str(uuid4())
    elif not isinstance(record_id, str):
        value["id"] = str(record_id)
    return value


def map_records(fn: UserFunction, records: Iterable[Record]) -> list[Record]:
    """python.map over `records` (the serial path, and each partition of the parallel one)."""
    func = fn.func
    out: list[Record] = []
    append = out.append
    record: Record = {}
    try:
        # Hot loop: keep it free of per-record bookkeeping beyond the call itself.
        for record in records:
            result = func(record)
            if result is not None:
                if type(result) is dict and type(result.get("id")) is str:
                    append(result)
                else:
                    append(_as_record(result, fn, record.get("id"), record.get("id")))
    except NodeError:
        raise
    except Exception as exc:
        raise fn.error_from(exc, record.get("id")) from exc
    return out


def yield_records(fn: UserFunction, records: Iterable[Record], check_cancelled: Callable[[], None]) -> list[Record]:
    """python.yield over `records` (the serial path, and each partition of the parallel one)."""
    return run_generator(fn, records, lambda item, source_id: _as_record(item, fn, source_id, None), check_cancelled)


class _PythonNode(NodeType):
    config: MapConfig | YieldConfig | AggregateConfig

    def check(self) -> list[ConfigProblem]:
        return compile_problems(self.config.code, self.node_id)

    def references(self) -> NodeReferences:
        return NodeReferences.of(secrets=self.config.secrets)

    def _secrets(self, ctx: NodeContext) -> UserSecrets:
        """The declared secrets, resolved now (each registered in `ctx.mask` by resolve_secret)."""
        values = {name: resolve_secret(ctx, name, node_id=self.node_id, purpose=f'secrets["{name}"] in the code')
                  for name in dict.fromkeys(self.config.secrets)}
        return UserSecrets(values, self.node_id)

    def _function(self, ctx: NodeContext) -> UserFunction:
        return load_user_function(self.config.code, self.node_id, secrets=self._secrets(ctx))

    def _parallelism(self) -> Parallelism | None:
        return getattr(self.config, "parallelism", None)  # python.aggregate has no such option

    def _run_in_partitions(self, ctx: NodeContext, kind: str, records: list[Record]) -> list[Record]:
        option = self._parallelism()
        assert option is not None
        # Imported here: Dask and prefect-dask cost ~1 s to import, paid only by a run that asks for them.
        from .parallel_map import run_in_partitions

        secrets = self._secrets(ctx)
        # Loaded here too, so code whose module body fails stops the node before any cluster starts.
        load_user_function(self.config.code, self.node_id, secrets=secrets)
        return run_in_partitions(ctx, kind, self.config.code, secrets, option, records)


class PythonMap(_PythonNode):
    type = "python.map"
    category = "transform"
    title = "Python map"
    description = "Calls `def node(record) -> dict` on each record; returning None drops it."
    Config = MapConfig

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        if self._parallelism() is not None:
            return self._run_in_partitions(ctx, "map", records)
        return map_records(self._function(ctx), records)

    def run_batches(self, ctx: NodeContext, batches: Iterable[list[Record]]) -> Iterable[list[Record]]:
        if self._parallelism() is not None:
            return super().run_batches(ctx, batches)
        return self._map_batches(ctx, self._function(ctx), batches)

    @staticmethod
    def _map_batches(ctx: NodeContext, fn: UserFunction, batches: Iterable[list[Record]]) -> Iterable[list[Record]]:
        for batch in batches:
            ctx.check_cancelled()
            out = map_records(fn, batch)
            if out:
                yield out


class PythonYield(_PythonNode):
    type = "python.yield"
    category = "transform"
    title = "Python yield"
    description = "Calls the generator `def node(record)` on each record and emits every yielded record (1→N)."
    Config = YieldConfig

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        if self._parallelism() is not None:
            return self._run_in_partitions(ctx, "yield", records)
        return yield_records(self._function(ctx), records, ctx.check_cancelled)

    def run_batches(self, ctx: NodeContext, batches: Iterable[list[Record]]) -> Iterable[list[Record]]:
        if self._parallelism() is not None:
            return super().run_batches(ctx, batches)
        fn = self._function(ctx)
        return generate_batches(fn, batches, lambda item, source_id: _as_record(item, fn, source_id, None),
                                ctx.check_cancelled)


class PythonAggregate(_PythonNode):
    type = "python.aggregate"
    category = "transform"
    title = "Python aggregate"
    description = "Calls `def node(records) -> dict | list[dict]` once with all input records."
    Config = AggregateConfig

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        fn = self._function(ctx)
        try:
            result = fn.func(records)
        except Exception as exc:
            raise fn.error_from(exc, None) from exc
        if result is None:
            return []
        items = result if isinstance(result, list) else [result]
        return [_as_record(item, fn, None, None) for item in items]
