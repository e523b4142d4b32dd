"""Prefect settings wirework applies before Prefect is imported.

Prefect keeps its database under the wirework data folder (never `~/.prefect`),
analytics and Prefect's own UI are off, and the ephemeral server (used when no
Prefect server is running) gets a start-up timeout that fits the 13–23 s measured here.
Prefect's logging is `prefect_logging.yml` next to this file: a run's flow/task-run
logs go to Prefect's API, not to the console (wirework records node failures itself).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from engine.config.paths import data_home


def configure_prefect_env(environ: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    env = os.environ if environ is None else environ
    home = data_home()
    env.setdefault("PREFECT_HOME", str(home / "prefect"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_UI_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(Path(__file__).with_name("prefect_logging.yml")))
    # Tasks exchange records in memory, never through Prefect's result storage.
    env.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    return env


# Services of Prefect's server that wirework does not use, off in the server `wirework up`
# starts (each setdefault: a user's own setting wins). Every run's flow and task states are
# events inside Prefect's server; these were the consumers that cost CPU per event and do
# nothing for wirework: the event persister (writes each event into Prefect's `events`
# table, for its Events page; task runs come from the task run recorder, which stays),
# the reactive and proactive triggers and their actions (automations, which wirework never
# creates), and the stream of events out to websocket subscribers (none here).
# Pause expirations: wirework never pauses a flow run.
UNUSED_SERVER_SERVICES = {
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_API_EVENTS_STREAM_OUT_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
}


def lean_server_services(environ: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """The environment of a Prefect server without the services in UNUSED_SERVER_SERVICES."""
    for name, value in UNUSED_SERVER_SERVICES.items():
        environ.setdefault(name, value)
    return environ


def no_ca_bundle_for_plain_http(environ: MutableMapping[str, str] | None = None) -> None:
    """For a run process whose Prefect API is plain HTTP (the server `wirework up` starts on
    127.0.0.1): point Prefect's client at a one-certificate CA file instead of certifi's
    bundle. Prefect builds a verifying TLS context for every client it creates, even for
    an http:// URL that never uses it, and loading the ~150-certificate bundle cost ~38 ms
    each time — several clients per run, ~80 ms of a forked run's CPU. Left alone for an
    https:// URL or a certificate file the user set. Call before Prefect is imported."""
    env = os.environ if environ is None else environ
    if not env.get("PREFECT_API_URL", "").startswith("http://") or env.get("PREFECT_API_SSL_CERT_FILE"):
        return
    import tempfile

    import certifi

    bundle = Path(certifi.where()).read_text()
    end = "-----END CERTIFICATE-----"
    if end not in bundle:
        return
    handle, path = tempfile.mkstemp(prefix="wirework-unused-ca-", suffix=".pem")
    with os.fdopen(handle, "w") as file:
        file.write(bundle.split(end, 1)[0] + end + "\n")
    env["PREFECT_API_SSL_CERT_FILE"] = path
