"""Text fields a task reads that the project's records lack: counts and warnings.

Owns one rule. A task embeds and labels the text of its `text_fields`; a field that is
missing (absent or null) or blank on a record makes that record's text empty, and a
model then gives every such record the same, confident prediction. So per task and
field the sync status counts the records missing it and the records where it is blank,
and a field that occurs on none of the project's records (missing on all, or blank on
all) is a warning: the API reports it next to the task and the server's workflow
validation turns it into a problem of each `labeling.enrich` node that predicts the task.
With no records synced yet nothing is known, so there is nothing to warn about.
"""

from __future__ import annotations

from typing import Any

NEVER_OCCURS = "field_never_occurs"
ALWAYS_EMPTY = "field_always_empty"


def field_report(task: str, text_fields: list[str], counts: dict[str, dict[str, int]],
                 records: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(per-field counts `{"field", "missing", "empty"}`, warnings) of one task, from the
    repository's `field_coverage` over `records` records."""
    fields, warnings = [], []
    for field in text_fields:
        missing = int(counts.get(field, {}).get("missing", 0))
        empty = int(counts.get(field, {}).get("empty", 0))
        fields.append({"field": field, "missing": missing, "empty": empty})
        if records == 0:
            continue
        if missing == records:
            warnings.append(_warning(NEVER_OCCURS, task, field, records,
                                     f'text field "{field}" of task "{task}" occurs on none of the '
                                     f"project's {records} records"))
        elif missing + empty == records:
            warnings.append(_warning(ALWAYS_EMPTY, task, field, records,
                                     f'text field "{field}" of task "{task}" is missing or blank on all of the '
                                     f"project's {records} records"))
    return fields, warnings


def gaps_worth_logging(task: str, fields: list[dict[str, Any]], records: int) -> list[str]:
    """One line per field missing or blank on some records (for the sync log)."""
    return [f'task "{task}": text field "{f["field"]}" is missing on {f["missing"]} and blank on {f["empty"]} '
            f"of {records} records" for f in fields if f["missing"] or f["empty"]]


def _warning(kind: str, task: str, field: str, records: int, message: str) -> dict[str, Any]:
    return {"kind": kind, "task": task, "field": field, "records": records, "message": message}
