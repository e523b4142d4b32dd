"""Building blocks every area's wire shapes share: the request and response base
classes, the timestamp and record types, and the fast JSON response of the large record
routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

# A record as users and nodes write it: any JSON object (a store's records, a node's
# output). The one place the API is deliberately free-form.
Record = dict[str, Any]

# The largest limit, offset, seq or version a route accepts: DuckDB counts in BIGINT, so a
# larger number would fail inside a query (a 500) instead of being refused (422).
MAX_COUNT = 2**62

# Timestamps the services already hand over as ISO 8601 text; passed through unchanged.
IsoTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
# Timestamps the services hand over as datetimes (from DuckDB); written as ISO 8601.
Timestamp = datetime


def _is_none(value: Any) -> bool:
    return value is None


def omitted_when_none(description: str | None = None, **kwargs: Any) -> Any:
    """A field left out of the JSON when it has no value, as the services answer (a
    problem without a line has no `line` key)."""
    return Field(None, exclude_if=_is_none, description=description, **kwargs)


class ResponseModel(BaseModel):
    """What the API answers. Fields with defaults are still always present in an answer,
    so the generated TypeScript marks them required (unless left out when None)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class RequestModel(BaseModel):
    """What the API takes. Unknown fields are ignored, as the untyped routes did."""

    model_config = ConfigDict(extra="ignore")


class RecordsJSONResponse(Response):
    """JSON written by orjson straight from the service's dicts, without a pydantic pass:
    for routes that answer up to hundreds of thousands of records. The route declares
    its typed shape with `response_model` (for OpenAPI) and returns this response, which
    FastAPI hands on unvalidated."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its own body (orjson, size limits): the
    body's schema as OpenAPI should show it."""
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": schema}}}}
