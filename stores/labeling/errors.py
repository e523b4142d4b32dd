"""Typed errors of the labeling project.

Every error a user can hit names what it is about (project, task, heuristic, record)
so the API can show it and the user knows where to look. Each error is also the member of
wirework's error family it is (not found, conflict, invalid); the API maps the family to
status codes, and `details()` gives the names it returns next to the message. `to_dict`
is the shape a labeling-function subprocess sends a HeuristicError back in.
"""

from __future__ import annotations

from typing import Any

from .. import errors as family
from ..names import is_valid_name


class LabelingError(family.WireworkError):
    """Base of labeling errors; carries the names of what it is about."""

    def __init__(self, message: str, *, project: str | None = None, task: str | None = None,
                 heuristic: str | None = None, record_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.project = project
        self.task = task
        self.heuristic = heuristic
        self.record_id = record_id

    def where(self) -> str:
        parts = []
        for key in ("project", "task", "heuristic"):
            value = getattr(self, key)
            if value is not None:
                parts.append(f'{key} "{value}"')
        if self.record_id is not None:
            parts.append(f'record "{self.record_id}"')
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "detail": str(self), "project": self.project,
                "task": self.task, "heuristic": self.heuristic, "record_id": self.record_id}

    def details(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k not in ("error", "detail") and v is not None}


class LabelingInvalid(LabelingError, family.Invalid):
    """A request the labeling project cannot accept: a bad setting, filter or sample size."""


class InvalidName(LabelingInvalid):
    """A project, task, heuristic or lookup-list name that does not match NAME_PATTERN."""


class NotFound(LabelingError, family.NotFound):
    pass


class AlreadyExists(LabelingError, family.Conflict):
    pass


class UnknownLabel(LabelingInvalid):
    """A label that is not in the task's label set."""


class HeuristicError(LabelingInvalid):
    """A heuristic failed: a labeling function raised or returned something odd, or an
    active learner cannot be trained. `line`/`source_line` point into the user's code."""

    def __init__(self, message: str, *, line: int | None = None, source_line: str | None = None,
                 exception_type: str | None = None, **names: Any):
        super().__init__(message, **names)
        self.line = line
        self.source_line = source_line
        self.exception_type = exception_type or type(self).__name__

    def __str__(self) -> str:
        where = self.where()
        if self.line is not None:
            where = f"{where}, line {self.line}" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(line=self.line, source_line=self.source_line, exception_type=self.exception_type)
        return data


class StoreUnavailable(LabelingError, family.Conflict):
    """The project's shared store could not be read (missing, or no store client).

    A conflict rather than `Unavailable`: retrying does not help, the project's binding to
    its store has to be fixed."""


def check_name(kind: str, name: Any, **names: Any) -> str:
    """Return `name` if it is a valid project/task/heuristic/list name, else raise InvalidName."""
    if not is_valid_name(name):  # the one rule of stores/names.py (`fullmatch`: no "abc\n")
        raise InvalidName(f"invalid {kind} name {name!r}: use lowercase letters, digits, '-' and '_', "
                          f"starting with a letter, at most 63 characters", **names)
    return name
