"""The `parallelism` option of python.map / python.yield, and how input records are cut.

Owns: the option's model (`{"engine": "dask", "partitions": 8}`, optionally
`"address": "tcp://scheduler:8786"` for an existing Dask cluster), validated with the rest
of the node's config, so a bad value is a validation problem naming the workflow, the
node and the field; and `partition_bounds`, the contiguous, order-keeping cut of the
input that the parallel run uses (nodes/parallel_map.py).

Kept free of Dask and Prefect imports on purpose: every process that validates or lists
node types imports this module, while only a run whose node asks for parallelism pays
for Dask (imported by nodes/parallel_map.py, itself imported only then).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from .base import NodeConfig

MAX_PARTITIONS = 64
# host: a DNS name or an IPv4 address, or an IPv6 address in brackets (Dask's own spelling).
_ADDRESS = re.compile(r"^tcp://(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$")


def _option_titles(on: str, off: str, nested: bool = False):
    """Names of the two choices the editor's form offers for an optional field (pydantic
    writes it as `anyOf: [value, null]`; untitled, the form shows "<field> option 2").
    `nested`: the field lives inside another object, whose defaults the form fills in when
    it shows them — a `default: null` there would turn merely opening the node into an
    unsaved change, so it is left out of the schema (the model's default stays None)."""

    def titles(schema: dict[str, Any]) -> None:
        for option in schema.get("anyOf", []):
            option["title"] = off if option.get("type") == "null" else on
        if nested:
            schema.pop("default", None)

    return titles


class Parallelism(NodeConfig):
    """Run the node's code over `partitions` contiguous slices of its input on a Dask cluster."""

    engine: Literal["dask"] = Field(description='The engine that runs the partitions; only "dask" exists.')
    partitions: int = Field(ge=1, le=MAX_PARTITIONS,
                            description=f"How many contiguous slices the input is cut into (1–{MAX_PARTITIONS}).")
    address: str | None = Field(
        default=None, json_schema_extra=_option_titles("A running Dask scheduler", "A local cluster in this run", nested=True),
        description="A running Dask scheduler, tcp://host:port. Unset: a local cluster started inside this run's "
                    "sandbox. Set: the code, its declared secrets and the records go to that cluster and run "
                    "there, outside wirework's sandbox.")

    @field_validator("address")
    @classmethod
    def _tcp_host_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _ADDRESS.match(value)
        if match is None or not 1 <= int(match["port"]) <= 65535:
            raise ValueError(f"{value!r} is not a Dask scheduler address; write tcp://host:port, "
                             "e.g. tcp://scheduler:8786")
        return value


def parallelism_field() -> Any:
    return Field(default=None, title="Parallelism",
                 json_schema_extra=_option_titles("On: partitions on Dask", "Off: record by record in this run"),
                 description='Unset: the code runs record by record in this run. {"engine": "dask", "partitions": 8}: '
                             "the input is cut into contiguous partitions run on Dask; the output is the same, "
                             "in the same order.")


def partition_bounds(count: int, partitions: int) -> list[tuple[int, int]]:
    """`(start, stop)` of each partition of `count` records: contiguous, in input order, sizes
    differing by at most one; never an empty partition (fewer records, fewer partitions)."""
    if count <= 0:
        return []
    parts = min(max(1, partitions), count)
    size, extra = divmod(count, parts)
    bounds: list[tuple[int, int]] = []
    start = 0
    for index in range(parts):
        stop = start + size + (1 if index < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds
