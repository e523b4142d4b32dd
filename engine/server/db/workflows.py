"""Saved workflows and every version of them, in the app database.

Saving is optimistic: a save must name the version it was based on; a save based on an
older version is refused (`VersionConflict`), so two editors never silently overwrite
each other. Every version is kept for history, diff and restore. The tables are
`workflows` and `workflow_versions` of schema.py.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import orjson

from stores import Conflict, NotFound

from engine.server.db.app_db import AppDatabase
from engine.model.workflow import Workflow
from engine.model.runs import utcnow


class WorkflowNotFound(NotFound):
    def __init__(self, workflow_id: str, version: int | None = None):
        super().__init__(workflow_id)
        self.workflow_id = workflow_id
        self.version = version

    def __str__(self) -> str:
        if self.version is not None:
            return f'workflow "{self.workflow_id}" has no version {self.version}'
        return f'no workflow "{self.workflow_id}"'


class WorkflowExists(Conflict):
    def __init__(self, workflow_id: str):
        super().__init__(f'a workflow "{workflow_id}" already exists')
        self.workflow_id = workflow_id


class VersionConflict(Conflict):
    kind = "version_conflict"

    def __init__(self, workflow_id: str, given: int, current: int):
        super().__init__(
            f'workflow "{workflow_id}" was saved as version {current} since you loaded version {given}; '
            "reload it, or save again based on the current version to overwrite"
        )
        self.workflow_id = workflow_id
        self.given = given
        self.current = current

    def details(self) -> dict[str, Any]:
        return {"current_version": self.current}


class WorkflowRepository:
    def __init__(self, db: AppDatabase):
        self.db = db
        self._lock = threading.Lock()  # makes read-check-write of a save atomic

    def _store(self, workflow: Workflow, created: bool) -> Workflow:
        doc = orjson.dumps(workflow.model_dump(mode="json")).decode()
        now = utcnow()
        if created:
            self.db._execute(
                "INSERT INTO workflows VALUES (?, ?, ?, ?, ?, ?)",
                [workflow.id, workflow.version, doc, secrets.token_urlsafe(24), now, now],
            )
        else:
            self.db._execute("UPDATE workflows SET version = ?, doc = ?, updated_at = ? WHERE id = ?",
                             [workflow.version, doc, now, workflow.id])
        self.db._execute("INSERT INTO workflow_versions VALUES (?, ?, ?, ?)", [workflow.id, workflow.version, doc, now])
        return workflow

    def exists(self, workflow_id: str) -> bool:
        return bool(self.db._execute("SELECT 1 FROM workflows WHERE id = ?", [workflow_id]))

    def create(self, workflow: Workflow) -> Workflow:
        with self._lock:
            if self.exists(workflow.id):
                raise WorkflowExists(workflow.id)
            return self._store(workflow.model_copy(update={"version": 1}), created=True)

    def free_id(self, wanted: str) -> str:
        """`wanted`, or `wanted-2`, `wanted-3`… whichever is not taken (for imports/duplicates)."""
        candidate, n = wanted, 1
        while self.exists(candidate):
            n += 1
            suffix = f"-{n}"
            candidate = wanted[: 63 - len(suffix)] + suffix
        return candidate

    def save(self, workflow: Workflow) -> Workflow:
        """Save a new version; `workflow.version` must be the version it was based on."""
        with self._lock:
            current = self.get(workflow.id).version
            if workflow.version != current:
                raise VersionConflict(workflow.id, workflow.version, current)
            return self._store(workflow.model_copy(update={"version": current + 1}), created=False)

    def get(self, workflow_id: str) -> Workflow:
        rows = self.db._execute("SELECT doc FROM workflows WHERE id = ?", [workflow_id])
        if not rows:
            raise WorkflowNotFound(workflow_id)
        return Workflow.model_validate(orjson.loads(rows[0][0]))

    def summaries(self) -> list[dict[str, Any]]:
        rows = self.db._execute(
            "SELECT w.doc, w.updated_at, r.id, r.status, r.started_at FROM workflows w "
            "LEFT JOIN (SELECT *, row_number() OVER (PARTITION BY workflow_id ORDER BY started_at DESC) AS rn "
            "           FROM runs) r ON r.workflow_id = w.id AND r.rn = 1 ORDER BY w.id"
        )
        out = []
        for doc, updated_at, run_id, status, started_at in rows:
            wf = orjson.loads(doc)
            out.append({
                "id": wf["id"], "name": wf.get("name", ""), "version": wf["version"],
                "description": wf.get("description", ""), "updated_at": updated_at, "schedule": wf.get("schedule"),
                "last_run": {"id": run_id, "status": status, "started_at": started_at} if run_id else None,
            })
        return out

    def all(self) -> list[Workflow]:
        return [Workflow.model_validate(orjson.loads(doc)) for (doc,) in
                self.db._execute("SELECT doc FROM workflows ORDER BY id")]

    def delete(self, workflow_id: str) -> None:
        with self._lock:
            self.get(workflow_id)
            self.db._execute("DELETE FROM workflow_versions WHERE workflow_id = ?", [workflow_id])
            self.db._execute("DELETE FROM workflows WHERE id = ?", [workflow_id])

    def versions(self, workflow_id: str) -> list[dict[str, Any]]:
        self.get(workflow_id)
        rows = self.db._execute(
            "SELECT version, saved_at FROM workflow_versions WHERE workflow_id = ? ORDER BY version DESC", [workflow_id]
        )
        return [{"version": v, "saved_at": saved_at} for v, saved_at in rows]

    def get_version(self, workflow_id: str, version: int) -> Workflow:
        rows = self.db._execute("SELECT doc FROM workflow_versions WHERE workflow_id = ? AND version = ?",
                                [workflow_id, version])
        if not rows:
            raise WorkflowNotFound(workflow_id, version)
        return Workflow.model_validate(orjson.loads(rows[0][0]))

    def restore(self, workflow_id: str, version: int) -> Workflow:
        old = self.get_version(workflow_id, version)
        with self._lock:
            current = self.get(workflow_id).version
            return self._store(old.model_copy(update={"version": current + 1}), created=False)

    def webhook_token(self, workflow_id: str) -> str:
        rows = self.db._execute("SELECT webhook_token FROM workflows WHERE id = ?", [workflow_id])
        if not rows:
            raise WorkflowNotFound(workflow_id)
        return rows[0][0]
