"""The worker credential: what `wirework worker --token` presents (lives in the API process).

Not the API token. It lets a worker do three things only — claim a run it took from the
Prefect work pool (and so get that run's run-scoped token, engine/server/services/run_tokens.py),
beat and report its runs' ends (engine/server/routes/workers.py), and talk to Prefect
through the API's proxy (engine/server/routes/prefect_proxy.py). Every other route refuses it
(engine/server/security.py). It is `worker-token` in the data folder (0600, created on
the first start, like `api-token`) or `WIREWORK_WORKER_TOKEN`; `wirework worker-token`
prints it. It never reaches a run process: a remote worker's runs authenticate with
their own run tokens.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable

WORKER_TOKEN_FILE = "worker-token"
WORKER_TOKEN_ENV = "WIREWORK_WORKER_TOKEN"
PREFIX = "wkr-"  # tells a worker credential from the API token at a glance (logs, support)


def read_or_create_private_token(path: Path, make: Callable[[], str]) -> str:
    """The token in `path`, or a new one from `make()` written there readable by this OS
    user only: mode 0600 from the first byte, no window in which another user could read it
    (the API token, engine/server/security.py, is kept the same way)."""
    try:
        token = path.read_text().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    token = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return token


def load_or_create_worker_token(data_home: Path, environ: dict[str, str] | None = None) -> str:
    configured = (os.environ if environ is None else environ).get(WORKER_TOKEN_ENV, "").strip()
    if configured:
        return configured
    return read_or_create_private_token(data_home / WORKER_TOKEN_FILE, lambda: PREFIX + secrets.token_urlsafe(32))


def read_worker_token(data_home: Path) -> str | None:
    """For `wirework worker-token`, tests and benches: the configured or stored credential."""
    configured = os.environ.get(WORKER_TOKEN_ENV, "").strip()
    if configured:
        return configured
    try:
        return (data_home / WORKER_TOKEN_FILE).read_text().strip() or None
    except OSError:
        return None
