"""Run-scoped tokens: issued when a run is queued, void when its worker process ends.

A worker holds only its run's token (given on stdin with the job, never in the
environment), so code in one run cannot act as another run or as the user. Tokens
live in memory: a server restart voids them together with the runs it settles.
"""

from __future__ import annotations

import secrets
import threading

from engine.model.run_scope import RunScope


class RunTokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, RunScope] = {}
        self._by_run: dict[str, str] = {}

    def issue(self, scope: RunScope) -> str:
        token = "run-" + secrets.token_urlsafe(32)
        with self._lock:
            self._by_token[token] = scope
            self._by_run[scope.run_id] = token
        return token

    def scope_of(self, token: str) -> RunScope | None:
        with self._lock:
            return self._by_token.get(token)

    def is_live(self, run_id: str) -> bool:
        """Whether the run still holds a token (not yet ended, its process not yet gone)."""
        with self._lock:
            return run_id in self._by_run

    def revoke(self, run_id: str) -> None:
        with self._lock:
            token = self._by_run.pop(run_id, None)
            if token is not None:
                self._by_token.pop(token, None)

    def active(self) -> int:
        with self._lock:
            return len(self._by_token)
