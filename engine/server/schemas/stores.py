"""Wire shapes of the store routes. Records are user data (`Record`: any JSON object
with a string `id`); everything around them is typed.

The record routes move whole batches (an upsert or a query of 100k records), so their
bodies are read with orjson and their answers written with orjson (`RecordsJSONResponse`)
rather than through pydantic: `RECORD_BATCH` and the response models below are what
OpenAPI shows for them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, Strict

from engine.server.schemas.common import MAX_COUNT, IsoTime, Record, RequestModel, ResponseModel, json_body

JsonType = Literal["null", "boolean", "integer", "number", "string", "array", "object"]
# Limits and offsets arrive as JSON numbers; true/false or "5" are refused, not coerced.
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_COUNT)]

RECORD_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Record", "required": ["id"], "additionalProperties": True,
    "properties": {"id": {"type": "string", "minLength": 1, "description": "unique in the store"}},
    "description": "any JSON object with a string id (user data)",
}
RECORD_BATCH = json_body({"type": "array", "items": RECORD_SCHEMA},
                         "Records to insert or update by id, all or nothing (the last of equal ids wins)")
WRITE_BATCH = json_body({"type": "array", "items": RECORD_SCHEMA},
                        "One batch of a staged write: records as in an upsert; the commit writes all "
                        "batches as one upsert of their concatenation (the last of equal ids wins)")


# -- what a client writes ------------------------------------------------------------
class StoreCreate(RequestModel):
    name: str = Field(description="lowercase letters, digits, '-' and '_', starting with a letter")


class RecordQuery(RequestModel):
    where: Record | None = Field(None, description='{dotted.field: value} equality, ANDed: {"meta.lang": "en"}')
    limit: Count | None = None
    offset: Count = 0


class RecordDelete(RequestModel):
    ids: list[str]


# -- what the API answers ------------------------------------------------------------
class StoreSummaryResponse(ResponseModel):
    name: str
    count: int
    created_at: IsoTime
    last_write_at: IsoTime | None
    last_seq: int = Field(description="the seq of the latest write (incremental readers read after a seq)")


class StoreResponse(StoreSummaryResponse):
    """A store with its size, the fields seen in its latest records and a sample."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    data_bytes: int
    fields: dict[str, list[JsonType]] = Field(alias="schema", description="field → the JSON types seen in it")
    schema_sampled_records: int
    sample: list[Record]


class UpsertResponse(ResponseModel):
    inserted: int
    updated: int
    unchanged: int = Field(description="written again with identical data (they keep their seq)")


class WriteOpenedResponse(ResponseModel):
    write_id: str = Field(description="names the staged write in its batches, commit and abort")


class BatchStagedResponse(ResponseModel):
    received: int = Field(description="records in this batch")
    staged: int = Field(description="records received by the write so far, this batch included")


class RecordPageResponse(ResponseModel):
    records: list[Record]
    total: int
    offset: int
    limit: int


class RecordsResponse(ResponseModel):
    records: list[Record]


class SinceResponse(ResponseModel):
    records: list[Record] = Field(description="records written (inserted or changed) after `after_seq`, oldest first")
    last_seq: int = Field(description="the seq of the last one (`after_seq` when there is nothing new)")


class DeletedResponse(ResponseModel):
    deleted: int


class ImportResponse(UpsertResponse):
    store: str
    path: str = Field(description="the uploaded file's name")
    format: Literal["csv", "parquet", "jsonl", "xlsx"]
    rows: int
