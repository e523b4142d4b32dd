"""The Prefect server `wirework up` starts runs without the services wirework does not use
(engine/config/prefect_env.py UNUSED_SERVER_SERVICES): read back through Prefect's own
settings, so a misspelt variable — which Prefect would ignore silently — fails here."""

from __future__ import annotations

import os
from unittest import mock

from prefect.settings import Settings

from engine.cli.up import KEEP_ALIVE_S, secure_prefect_env


def _prefect_settings(env: dict[str, str]) -> Settings:
    prefect_env = {k: v for k, v in env.items() if k.startswith("PREFECT_")}
    cleared = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    with mock.patch.dict(os.environ, {**cleared, **prefect_env}, clear=True):
        return Settings()


def test_the_prefect_server_starts_without_the_services_wirework_does_not_use():
    settings = _prefect_settings(secure_prefect_env(4200, "wirework:secret", {}))
    services = settings.server.services
    assert services.event_persister.enabled is False
    assert services.triggers.enabled is False
    assert services.pause_expirations.enabled is False
    assert settings.server.events.stream_out_enabled is False
    # What wirework's runs and schedules need stays on.
    assert services.task_run_recorder.enabled is True
    assert services.scheduler.enabled is True


def test_a_users_own_setting_of_a_service_wins():
    env = secure_prefect_env(4200, "wirework:secret", {"PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "true"})
    assert _prefect_settings(env).server.services.triggers.enabled is True


def test_the_prefect_server_keeps_idle_connections_longer_than_its_clients():
    # Read back through Prefect's settings: the name must be one Prefect knows.
    assert _prefect_settings(secure_prefect_env(4200, "wirework:secret", {})).server.api.keepalive_timeout == KEEP_ALIVE_S
