"""`wirework up`'s checks of the remote-worker settings, before anything starts (issue 20):
a bad value stops it with one line naming the variable."""

from __future__ import annotations

import pytest

from engine.cli.up import StartupError, prefect_database_url, remote_worker_settings
from engine.config.work_pool import local_workers


def test_local_workers_is_on_unless_set_to_0():
    assert local_workers({}) is True
    assert local_workers({"WIREWORK_LOCAL_WORKERS": "1"}) is True
    assert local_workers({"WIREWORK_LOCAL_WORKERS": "0"}) is False


@pytest.mark.parametrize("env, named", [({"WIREWORK_LOCAL_WORKERS": "maybe"}, "WIREWORK_LOCAL_WORKERS"),
                                        ({"WIREWORK_WORKER_TIMEOUT_S": "soon"}, "WIREWORK_WORKER_TIMEOUT_S"),
                                        ({"WIREWORK_WORKER_TIMEOUT_S": "0"}, "WIREWORK_WORKER_TIMEOUT_S")])
def test_bad_remote_worker_settings_stop_wirework_up_naming_the_variable(env, named):
    with pytest.raises(StartupError, match=named):
        remote_worker_settings(env)


def test_the_prefect_database_comes_from_the_flag_else_the_environment():
    url = "postgresql+asyncpg://prefect@db:5432/prefect"
    assert prefect_database_url(None, {}) is None
    assert prefect_database_url(None, {"WIREWORK_PREFECT_DATABASE_URL": url}) == url
    assert prefect_database_url(url, {"WIREWORK_PREFECT_DATABASE_URL": "postgresql+asyncpg://other/db"}) == url
    with pytest.raises(StartupError, match="postgresql\\+asyncpg://"):
        prefect_database_url("mysql://db/prefect", {})
