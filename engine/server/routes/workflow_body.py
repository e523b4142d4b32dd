"""Request bodies that are (or hold) a workflow document.

FastAPI checks such a body against the typed model before the route runs; a document
that does not fit is answered as a workflow file that does not parse is — 422
`invalid_workflow`, naming the node and field (`node "a": type: Field required`) — and
not as a generic `invalid_request`. A body that is not even an object (or not JSON)
stays `invalid_request`.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from engine.model.workflow import WorkflowFileError, parse_workflow

SOURCE = "<request body>"


class WorkflowBodyRoute(APIRoute):
    """An APIRoute whose body model may say where its workflow document sits (`workflow_path`)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        model = self.body_field.field_info.annotation if self.body_field is not None else None
        path = getattr(model, "workflow_path", None)
        if path is None:
            return handler

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise as_workflow_error(exc, tuple(path), request.path_params) from None

        return route


def as_workflow_error(exc: RequestValidationError, path: tuple[str, ...],
                      path_params: dict[str, Any]) -> Exception:
    """The WorkflowFileError for a document that does not fit the model, else `exc` itself."""
    prefix = ("body", *path)
    inside = [e for e in exc.errors() if tuple(e["loc"][:len(prefix)]) == prefix and len(e["loc"]) > len(prefix)]
    document: Any = exc.body
    for key in path:
        document = document.get(key) if isinstance(document, dict) else None
    if not inside or not isinstance(document, dict):
        return exc
    fields = {k: v for k, v in document.items() if k != "problems"}
    if "workflow_id" in path_params:
        fields.setdefault("id", path_params["workflow_id"])  # a save may leave the id to the URL
    try:
        parse_workflow(fields, source=SOURCE)  # the same words as for a file
    except WorkflowFileError as error:
        return error
    # The document itself parses: the errors are about what the body adds (a save's base version).
    return WorkflowFileError(SOURCE, [f"{'.'.join(str(p) for p in e['loc'][len(prefix):])}: {e['msg']}"
                                      for e in inside])
