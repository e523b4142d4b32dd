"""The error body every route may answer (`engine/server/errors.py` writes it) and the
`responses=` declarations that put it into OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.server.schemas.common import ResponseModel, omitted_when_none
from engine.server.schemas.workflows import ProblemResponse


class ErrorResponse(ResponseModel):
    """Every error answer: `{error, detail}` plus what the error is about, when known."""

    error: str = Field(description="machine-readable kind: not_found, already_exists, invalid_request, "
                                   "invalid_workflow, workflow_invalid, version_conflict, unauthorized, "
                                   "forbidden, payload_too_large, unavailable, internal_error, …")
    detail: str = Field(description="what went wrong and what to do, in words")
    node: str | None = omitted_when_none("the node the error is about")
    problems: list[ProblemResponse] | None = omitted_when_none("workflow_invalid: every problem")
    current_version: int | None = omitted_when_none("version_conflict: the version saved meanwhile")
    project: str | None = omitted_when_none("labeling: the project")
    task: str | None = omitted_when_none("labeling: the task")
    heuristic: str | None = omitted_when_none("labeling: the heuristic")
    record_id: str | None = omitted_when_none("labeling: the record")
    line: int | None = omitted_when_none("labeling: the line of the user's code")
    source_line: str | None = omitted_when_none("labeling: that line's text")
    exception_type: str | None = omitted_when_none("labeling: the exception the user's code raised")
    request_id: str | None = omitted_when_none("internal_error: the id of the server log's line about it")


_ERROR_DESCRIPTIONS = {
    400: "Bad input (labeling routes)",
    401: "No API token or session",
    403: "Not allowed for this caller",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Not application/json",
    422: "Invalid request",
    500: "Unexpected server error",
    503: "Not available in this server",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for routes and routers: these statuses answer an ErrorResponse."""
    return {status: {"model": ErrorResponse, "description": _ERROR_DESCRIPTIONS[status]} for status in statuses}


# What any /api route may answer: the security checks (401, 403, 415), a body above the
# size limit (413), a request that does not fit its schema (422) and the unexpected (500).
COMMON_ERRORS = error_responses(401, 403, 413, 415, 422, 500)
