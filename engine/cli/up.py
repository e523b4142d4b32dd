"""`wirework up`: the Prefect server (supervised: restarted when it dies,
engine/cli/prefect_supervisor.py), the wirework API (with its run launcher and schedule
loop) and a clean stop of all of them on Ctrl-C or SIGTERM."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from engine.cli.ports import free_port, port_is_free
from engine.config.paths import data_home
from engine.config.prefect_env import configure_prefect_env, lean_server_services

PREFECT_START_TIMEOUT_S = 120.0
KEEP_ALIVE_S = 75  # idle keep-alive connections of the API; see serve()
_PR_SET_PDEATHSIG = 1


class StartupError(RuntimeError):
    pass


def _die_with_parent() -> None:
    # If `wirework up` is killed outright, the Prefect server must not outlive it.
    try:
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def secure_prefect_env(port: int, auth_string: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Settings of the Prefect server `wirework up` starts: basic auth on every route but its
    health check, CSRF protection, and CORS limited to its own origin (Prefect's default is
    `*`, which let any web page create flow runs)."""
    env = dict(lean_server_services(configure_prefect_env(dict(environ))))
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_SERVER_API_AUTH_STRING"] = auth_string
    env["PREFECT_API_AUTH_STRING"] = auth_string
    env["PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"] = "true"
    env["PREFECT_SERVER_API_CORS_ALLOWED_ORIGINS"] = f"http://127.0.0.1:{port}"
    # Its clients (the API's writer, run processes) are httpx clients too: see KEEP_ALIVE_S.
    env.setdefault("PREFECT_SERVER_API_KEEPALIVE_TIMEOUT", str(KEEP_ALIVE_S))
    return env


PREFECT_DB_ENV = "WIREWORK_PREFECT_DATABASE_URL"


def prefect_database_url(given: str | None, environ: Mapping[str, str]) -> str | None:
    """`--prefect-db`, else `WIREWORK_PREFECT_DATABASE_URL`; None: Prefect's SQLite in the data
    folder. Only PostgreSQL (asyncpg) and SQLite URLs are what Prefect's server takes."""
    url = (given or environ.get(PREFECT_DB_ENV, "")).strip() or None
    if url is not None and not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        raise StartupError(f"the Prefect database URL must start with postgresql+asyncpg:// (or sqlite+aiosqlite://), "
                           f"not {url.split('://', 1)[0]!r}://…")
    return url


def remote_worker_settings(environ: Mapping[str, str]) -> None:
    """WIREWORK_LOCAL_WORKERS and WIREWORK_WORKER_TIMEOUT_S checked before anything starts:
    a bad value is one line naming the variable, not a traceback from the app's start."""
    from engine.config.work_pool import local_workers
    from engine.server.services.work_pool_runs import worker_timeout_s

    try:
        local_workers(environ)
        worker_timeout_s(dict(environ))
    except ValueError as exc:
        raise StartupError(str(exc)) from None


def start_prefect_server(port: int, log_path: Path, auth_string: str, database_url: str | None = None
                         ) -> subprocess.Popen:
    from engine.server.services.history_pruner import RetentionPolicy, prefect_vacuum_env

    env = secure_prefect_env(port, auth_string, os.environ)
    if database_url is not None:
        # Prefect 3.8's name (PREFECT_API_DATABASE_CONNECTION_URL is its older alias); several
        # servers' workers can then share one Prefect database (README: multi-machine setup).
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    for name, value in prefect_vacuum_env(RetentionPolicy.from_env()).items():  # run history kept as long as ours
        env.setdefault(name, value)
    log_file = open(log_path, "ab")
    # `prefect server start`, with its SQLite write transactions begun IMMEDIATE (see there).
    command = [sys.executable, "-m", "engine.cli.prefect_server", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=_die_with_parent)


def max_concurrent_runs(environ: Mapping[str, str], default: int) -> int:
    """`WIREWORK_MAX_CONCURRENT_RUNS`, a whole number ≥ 1; anything else stops `wirework up`
    with one line naming the variable (it used to be a traceback)."""
    raw = environ.get("WIREWORK_MAX_CONCURRENT_RUNS", "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise StartupError(f"WIREWORK_MAX_CONCURRENT_RUNS must be a whole number of runs, 1 or more (got {raw!r})")
    return value


def wait_healthy(url: str, process: subprocess.Popen | None, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StartupError(f"{what} exited with code {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise StartupError(f"{what} did not become healthy within {timeout_s:.0f} s ({url})")


def editor_dist() -> Path:
    return Path(__file__).resolve().parents[2] / "editor_ui" / "dist"


def _quiet_exit_server():
    """uvicorn.Server that does not re-raise SIGINT/SIGTERM after its clean shutdown:
    the re-raise would kill this process before it stops the Prefect server. Once the
    app has started, what it loaded is frozen out of the garbage collector's sight."""
    import contextlib
    import gc
    import threading

    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            # What the start loaded (modules, the app and its services) lives as long as the
            # server, so a full collection need not walk it again and again: gc.freeze leaves
            # it out. Without this, every few requests for a 1,000-node workflow ran a full
            # collection that took 0.5 s of the request on a busy machine (issue 19).
            gc.freeze()

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server


def serve(host: str, port: int, prefect_api_url: str | None, prefect_port: int | None, seed_dir: Path | None,
          prefect_db: str | None = None) -> int:
    import uvicorn

    home = data_home()
    if not port_is_free(host, port):
        print(f"✗ port {port} on {host} is busy — is wirework already running? Use --port to pick another.",
              file=sys.stderr)
        return 1
    if host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("WIREWORK_API_TOKEN"):
        print("✗ binding beyond this machine needs an explicitly configured API token: set WIREWORK_API_TOKEN "
              "(and WIREWORK_ALLOWED_HOSTS to the names clients use)", file=sys.stderr)
        return 1
    from engine.server.services.launcher import DEFAULT_MAX_CONCURRENT

    try:  # checked before anything starts
        run_limit = max_concurrent_runs(os.environ, DEFAULT_MAX_CONCURRENT)
        database_url = prefect_database_url(prefect_db, os.environ)
        remote_worker_settings(os.environ)
    except StartupError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    configure_prefect_env()
    supervisor = None
    prefect_api_url = prefect_api_url or os.environ.get("PREFECT_API_URL")
    try:
        if not prefect_api_url:
            chosen_by_us = prefect_port is None  # a port the user named is not swapped for another
            prefect_port = prefect_port or (port + 1 if port_is_free("127.0.0.1", port + 1) else free_port())
            print(f"starting the Prefect server on 127.0.0.1:{prefect_port} (log: {home / 'prefect-server.log'})…",
                  flush=True)
            # A fresh auth string per `wirework up`: only this process and its children know
            # it. The supervisor's restarts keep it (and the port), so no client needs telling.
            auth_string = f"wirework:{secrets.token_urlsafe(32)}"
            from engine.cli.prefect_supervisor import PrefectSupervisor

            supervisor = PrefectSupervisor(
                lambda on_port: start_prefect_server(on_port, home / "prefect-server.log", auth_string, database_url),
                prefect_port, PREFECT_START_TIMEOUT_S,
                fresh_port=free_port if chosen_by_us else None)
            supervisor.start()
            os.environ["PREFECT_API_AUTH_STRING"] = auth_string  # this process and its workers are clients
            error = supervisor.wait_started()
            if error is not None:
                raise StartupError(error)
            prefect_api_url = supervisor.api_url  # after the start: a taken port moves it
        os.environ["PREFECT_API_URL"] = prefect_api_url

        from engine.server.app import create_app
        from engine.server.context import ServerSettings

        allowed = {h.strip() for h in os.environ.get("WIREWORK_ALLOWED_HOSTS", "").split(",") if h.strip()}
        settings = ServerSettings(data_home=home, host=host, port=port, prefect_api_url=prefect_api_url,
                                  editor_dist=editor_dist(), seed_dir=seed_dir, allowed_hosts=allowed,
                                  api_token=os.environ.get("WIREWORK_API_TOKEN") or None,
                                  max_concurrent_runs=run_limit,
                                  prefect_supervisor=supervisor)
        # Idle keep-alive connections stay open longer than clients keep them (httpx: 5 s, as
        # uvicorn's default): with equal limits the server may close a connection just as a
        # client sends on it, and that request fails with "connection reset by peer" — one of
        # 411 webhooks at 10/s did in bench runs (the client's idle clock starts later than
        # the server's). 75 s is nginx's default for the same reason.
        config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning", access_log=False,
                                timeout_keep_alive=KEEP_ALIVE_S)
        server = _quiet_exit_server()(config)
        server.run()  # handles SIGINT/SIGTERM: stops accepting, runs the app's shutdown
        return 0
    except StartupError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    finally:
        if supervisor is not None:
            supervisor.stop()
