"""Background training jobs of active learners, with progress a client can poll.

Owns the job table of one service: each job runs in its own daemon thread (embedding a
few hundred texts takes seconds on CPU, longer than a request should block), reports
its phase and done/total through `JobProgress`, and keeps its result or error for the
client's next poll. Jobs live in memory: a restarted server has no running jobs, and the
embeddings a finished job computed and the model version it trained stay in the project
database. A job is started on demand (the Train button) or by the service itself when
enough new manual labels arrived (`trigger` "labels"); `running` and `wait` let the
service avoid starting a second one for the same task, and a test or benchmark wait for
background training to finish.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from .errors import LabelingError, NotFound

log = logging.getLogger("wirework.labeling.jobs")
KEEP_FINISHED = 50  # finished jobs kept for polling; older ones are forgotten


class JobProgress:
    """What a job's work calls to report where it is."""

    def __init__(self, job: dict[str, Any], lock: threading.Lock):
        self._job, self._lock = job, lock

    def phase(self, name: str, total: int = 0) -> None:
        with self._lock:
            self._job.update(phase=name, done=0, total=total)

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            self._job.update(done=int(done), total=int(total))


class TrainingJobs:
    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def start(self, names: dict[str, str], work: Callable[[JobProgress], dict[str, Any]]) -> dict[str, Any]:
        """Run `work(progress)` in a thread; return the new job's status."""
        job: dict[str, Any] = {"id": uuid.uuid4().hex[:12], **names, "state": "running", "phase": "starting", "done": 0,
               "total": 0, "result": None, "error": None,
               "started_at": datetime.now(timezone.utc).isoformat(), "finished_at": None}
        thread = threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"wirework-train-{job['id']}")
        job["_thread"] = thread
        with self._lock:
            self._jobs[job["id"]] = job
            self._forget_old()
        thread.start()
        return self.get(job["id"])

    def _run(self, job: dict[str, Any], work: Callable[[JobProgress], dict[str, Any]]) -> None:
        try:
            result = work(JobProgress(job, self._lock))
            update = {"state": "completed", "phase": "done", "result": result}
        except LabelingError as exc:
            update = {"state": "failed", "error": str(exc)}
        except Exception as exc:  # the thread must always record an end, never die silently
            log.exception("training job %s failed", job["id"])
            update = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
        with self._lock:
            job.update(update, finished_at=datetime.now(timezone.utc).isoformat())

    def get(self, job_id: str, project: str | None = None) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or (project is not None and job.get("project") != project):
                raise NotFound(f'no training job "{job_id}"', project=project)
            return {k: v for k, v in job.items() if not k.startswith("_")}

    def running(self, project: str, task: str | None = None) -> bool:
        """Whether a job of the project (and task) is still running."""
        with self._lock:
            return any(j["state"] == "running" and j.get("project") == project
                       and (task is None or j.get("task") == task) for j in self._jobs.values())

    def wait(self, project: str | None = None, task: str | None = None, timeout_s: float = 300.0) -> bool:
        """Block until no job of the project (task; or at all) is running; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                busy = [t for j in self._jobs.values() if j["state"] == "running"
                        and (project is None or j.get("project") == project)
                        and (task is None or j.get("task") == task)
                        for t in [j.get("_thread")] if t is not None]
            if not busy:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            busy[0].join(min(remaining, 1.0))

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j["state"] != "running"), key=lambda j: j["started_at"])
        for job in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job["id"]]
