"""A labeling task as the heuristics see it: its label set, the text it reads and the
minimum confidence below which weak supervision gives no label (default 0: every record
a heuristic votes on gets a label; the confidence always travels with it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskSpec:
    name: str
    labels: tuple[str, ...]
    text_fields: tuple[str, ...]
    min_confidence: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TaskSpec":
        return cls(data["name"], tuple(data["labels"]), tuple(data["text_fields"]),
                   float(data.get("min_confidence") or 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "labels": list(self.labels), "text_fields": list(self.text_fields),
                "min_confidence": self.min_confidence}

    @property
    def fields_key(self) -> str:
        """Identifies the text a task reads, so tasks reading the same fields share embeddings."""
        return "\x1f".join(self.text_fields)

    @staticmethod
    def field_value(record: dict[str, Any], field: str) -> Any:
        """`record[field]`, a dotted name reading a nested field; None where it is missing."""
        value: Any = record
        for key in field.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def text_of(self, record: dict[str, Any]) -> str:
        """The task's text fields of `record` joined by newlines; a dotted name reads a nested
        field; a missing field reads as empty text."""
        parts = []
        for field in self.text_fields:
            value = self.field_value(record, field)
            if value is not None:
                parts.append(value if isinstance(value, str) else str(value))
        return "\n".join(parts)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
