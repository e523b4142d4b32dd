"""The FastAPI application: wiring of routes, error handlers, the editor's static
files, and the start/stop of what the API process owns (app database, stores, the
run launcher and the schedule sync)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from engine.server import server_file
from engine.server.db.app_db import AppDatabase
from engine.server.demo import api_router as demo_api_router, bootstrap_demo, site_router as demo_site_router
from engine.server.services.event_hub import EventHub
from engine.server.services.history_pruner import HistoryPruner
from engine.server.services.launcher import RunLauncher
from engine.server.services.run_tokens import RunTokens
from engine.server.services.runs import RunService
from engine.server.services.run_data import RunDataService
from engine.server.db.workflows import WorkflowRepository
from engine.server.routes import (
    embedding as routes_embedding,
    hooks as routes_hooks,
    internal as routes_internal,
    labeling as routes_labeling,
    meta as routes_meta,
    runs as routes_runs,
    storage as routes_storage,
    stores as routes_stores,
    workflows as routes_workflows,
    workers as routes_workers,
    prefect_proxy as routes_prefect_proxy,
)
from engine.server.context import ServerContext, ServerSettings
from engine.server.body_limit import BodyLimitMiddleware
from engine.server.errors import install_error_handlers
from engine.server.security import SecurityMiddleware, load_or_create_api_token
from engine.server.services.work_pool_runs import WorkPoolRuns
from engine.server.worker_credential import load_or_create_worker_token
from engine.config.work_pool import DEFAULT_POOL, POOL_ENV, local_workers
from engine.embedding.supervisor import EmbeddingSupervisor
from engine.execution.record_spool import SCRATCH_ENV, prepare_scratch
from stores.labeling.embedding_client import SOCKET_ENV as EMBEDDING_SOCKET_ENV, EmbeddingServiceClient
from stores.labeling.errors import LabelingError

log = logging.getLogger("wirework.api")


def _open_stores(settings: ServerSettings):
    from stores import LocalStoreClient

    return LocalStoreClient(settings.data_home)


# Never handed to a run process: they would let user code act as the user.
_WORKER_ENV_DENYLIST = ("WIREWORK_API_TOKEN", "WIREWORK_WORKER_TOKEN")


_scratch_folders: dict[Path, Path] = {}


def _scratch(settings: ServerSettings) -> Path:
    """The scratch folder of this server's run host (engine/execution/record_spool.py), one
    per data folder for the life of the process."""
    if settings.data_home not in _scratch_folders:
        _scratch_folders[settings.data_home] = prepare_scratch()
    return _scratch_folders[settings.data_home]


def _worker_env(settings: ServerSettings, embeddings: EmbeddingSupervisor | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _WORKER_ENV_DENYLIST}
    env["WIREWORK_HOME"] = str(settings.data_home)
    env[SCRATCH_ENV] = str(_scratch(settings))  # where runs spill big outputs (bound in _sandbox)
    if settings.prefect_api_url:
        env["PREFECT_API_URL"] = settings.prefect_api_url
    if embeddings is not None:  # workers embed through the service, never load the model
        env[EMBEDDING_SOCKET_ENV] = embeddings.socket_path
    return env


def _sandbox(settings: ServerSettings, embeddings: EmbeddingSupervisor | None):
    """Run processes see the machine read-only, without the data folder (keys, databases,
    the API token) and with a private /tmp — when bubblewrap works here — except the
    embedding service's socket folder and the scratch folder runs spill big outputs to
    (on disk: a tmpfs would be memory)."""
    from engine.execution.sandbox import sandbox_available, sandboxed, unavailable_reason

    if not sandbox_available():
        log.warning("user code runs WITHOUT a sandbox (%s): install bubblewrap (`make run` does)",
                    unavailable_reason())
    shared = [os.path.dirname(embeddings.socket_path)] if embeddings is not None else []
    shared.append(str(_scratch(settings)))
    return lambda argv: sandboxed(argv, hidden=[settings.data_home], shared=shared)


def _work_pool(app: FastAPI, ctx: ServerContext) -> WorkPoolRuns | None:
    """With `WIREWORK_LOCAL_WORKERS=0` runs go to the Prefect work pool that `wirework
    worker` processes take them from (services/work_pool_runs.py); else None: this server
    forks them itself."""
    if local_workers(os.environ):
        return None
    pool = WorkPoolRuns(os.environ.get(POOL_ENV, "").strip() or DEFAULT_POOL, on_claimed=ctx.db.set_run_worker)
    app.state.work_pool = pool
    log.warning("WIREWORK_LOCAL_WORKERS=0: this server runs nothing itself; runs wait in the Prefect work pool "
                "%r for `wirework worker` processes", pool.pool)
    return pool


def _prefect_writer(settings: ServerSettings, ctx: ServerContext) -> Any:
    """The writer of Prefect's record of "run" jobs (services/prefect_writer.py), started,
    with the runs a previous process left unwritten; None when there is no Prefect server
    to write to, when this server runs nothing or sends runs to a work pool (their flow run
    is the pool's), or with `WIREWORK_RUN_NODES=prefect` (Prefect's flow engine in the run
    process records them)."""
    from engine.execution.worker import RUN_NODES_ENV

    if (not settings.prefect_api_url or not settings.run_workers or not local_workers(os.environ)
            or os.environ.get(RUN_NODES_ENV, "threads").strip().lower() == "prefect"):
        return None
    from engine.server.services.prefect_writer import PrefectWriter, busy_runs, recover

    def note_flow_runs(pairs: list[tuple[str, str]]) -> None:
        with ctx.db.transaction():
            for run_id, flow_run_id in pairs:
                ctx.db.set_prefect_flow_run(run_id, flow_run_id)

    def launcher_health() -> dict[str, Any]:
        return ctx.runs.launcher.health() if ctx.runs.launcher is not None else {}

    writer = PrefectWriter(settings.prefect_api_url, busy=busy_runs(launcher_health), on_flow_runs=note_flow_runs)
    ctx.hub.tap(writer.observe)  # the events applied and the runs settled, as published
    recovered = recover(writer, ctx.db, ctx.repo)
    if recovered:
        log.info("%d run(s) not yet in Prefect: their record is written now", recovered)
    return writer.start()


def build_context(settings: ServerSettings, tokens: RunTokens) -> ServerContext:
    db = AppDatabase(settings.data_home / "app.duckdb")
    hub = EventHub()
    repo = WorkflowRepository(db)
    runs = RunService(db, hub, tokens=tokens, repo=repo)
    runs.run_data = RunDataService(settings.data_home)
    stores = _open_stores(settings)
    from stores.labeling import LABELING_DB_FILE, LabelingService, get_embedder

    from engine.execution.sandbox import sandboxed

    embeddings = EmbeddingSupervisor(settings.data_home) if settings.embedding_service else None
    embedder_factory: Callable[[str], Any] = get_embedder
    if embeddings is not None:
        embeddings.start()
        embedder_factory = EmbeddingServiceClient(embeddings.socket_path).encoder

    # Labeling functions are user code too: same sandbox as run workers (their child is
    # waited for by the thread that starts it, so it may die with that thread's process).
    def wrap_labeling(argv: list[str]) -> list[str]:
        return sandboxed(argv, hidden=[settings.data_home], die_with_parent=True)

    return ServerContext(settings=settings, db=db, repo=repo, hub=hub, runs=runs, stores=stores,
                         labeling=LabelingService(settings.data_home / LABELING_DB_FILE, stores,
                                                  embedder_factory=embedder_factory, wrap_command=wrap_labeling),
                         embeddings=embeddings, run_data=runs.run_data)


def _warm_embeddings(ctx: ServerContext) -> None:
    """Load the model in the service now when a project has a trained learner, so the first
    enrichment run after a start does not wait ~10 s for it."""
    if ctx.embeddings is None or ctx.labeling is None:
        return
    try:
        models = ctx.labeling.models_in_use()
    except Exception as exc:  # e.g. the server stopped (and closed the database) first; warming is optional
        log.warning("did not warm the embedding models: %s", exc)
        return
    if not models:
        return
    client = EmbeddingServiceClient(ctx.embeddings.socket_path)
    for model in models:
        try:
            client.warm(model)
        except LabelingError as exc:
            log.warning("could not warm the embedding model %s: %s", model, exc)
    client.close()


def create_app(settings: ServerSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx = build_context(settings, app.state.run_tokens)
        app.state.wirework = ctx
        _seed_sample_flows(ctx)
        if settings.seed_dir is not None:  # the samples include the stock-news demo flow
            bootstrap_demo(ctx)
        threading.Thread(target=_warm_embeddings, args=(ctx,), name="embedding-warm", daemon=True).start()
        settler = writer = None
        if settings.prefect_api_url:
            from engine.server.services.prefect_settler import PrefectSettler

            settler = ctx.runs.prefect_settler = PrefectSettler(settings.prefect_api_url).start()
            # Before settling: the runs left active that it records end in Prefect through it.
            writer = ctx.runs.prefect_writer = _prefect_writer(settings, ctx)
        crashed = ctx.runs.settle_orphans()
        if crashed:
            log.warning("%d run(s) left active by a previous server were marked crashed", crashed)
        pruner = ctx.pruner = HistoryPruner(ctx.db, settings.data_home, settings.retention)
        pruner.start()  # after settling: a run left active is prunable once it is crashed
        sweeper = None
        if ctx.stores is not None:
            from engine.server.services.staged_write_sweeper import StagedWriteSweeper

            sweeper = StagedWriteSweeper(ctx.stores)
            sweeper.start()
        if settings.run_workers:
            launcher = RunLauncher(settings.api_url, _worker_env(settings, ctx.embeddings),
                                   on_exit=ctx.runs.on_worker_exit, max_concurrent=settings.max_concurrent_runs,
                                   wrap_command=_sandbox(settings, ctx.embeddings),
                                   source=_work_pool(app, ctx), on_reports=ctx.runs.apply_reports)
            ctx.runs.launcher = launcher
            launcher.start()
        if settings.prefect_api_url and settings.run_workers:
            from engine.server.services.schedules import ScheduleSync

            ctx.schedules = ScheduleSync(ctx)
            ctx.schedules.start()
        server_file.announce(settings.data_home, settings.api_url)
        # The URL carries the token once: opening it sets the editor's session cookie.
        print(f"wirework is up: editor at {settings.api_url}/?token={settings.api_token}  "
              f"(API docs at {settings.api_url}/docs; `wirework token` prints the token)", flush=True)
        try:
            yield
        finally:
            server_file.withdraw(settings.data_home)
            pruner.stop()
            if sweeper is not None:
                sweeper.stop()
            if settler is not None:
                settler.stop()
            if ctx.schedules is not None:
                ctx.schedules.stop()
            if ctx.runs.launcher is not None:
                ctx.runs.launcher.shutdown()
            if writer is not None:  # after the launcher: the runs it ended are recorded too
                writer.stop()
            proxy_client = getattr(app.state, "prefect_proxy_client", None)
            if proxy_client is not None:
                await proxy_client.aclose()
            if ctx.labeling is not None:
                ctx.labeling.close()
            if ctx.embeddings is not None:
                ctx.embeddings.stop()
            if ctx.stores is not None and hasattr(ctx.stores, "close"):
                ctx.stores.close()
            ctx.db.close()

    app = FastAPI(title="wirework", version="0.1.0", lifespan=lifespan,
                  description="REST API of wirework: workflows, runs, schedules, stores, secrets.")
    install_error_handlers(app)
    # Added before SecurityMiddleware, so it runs after it: it never reads a byte of a
    # request that security refused.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.api_token is None:
        settings.api_token = load_or_create_api_token(settings.data_home)
    tokens = RunTokens()
    app.state.run_tokens = tokens
    app.state.work_pool = None
    app.add_middleware(SecurityMiddleware, api_token=settings.api_token, port=settings.port,
                       allowed_hosts={settings.host, *settings.allowed_hosts}, run_scope_of=tokens.scope_of,
                       worker_token=load_or_create_worker_token(settings.data_home),
                       is_run_prefect_token=lambda token: app.state.work_pool is not None
                       and app.state.work_pool.is_prefect_token(token))
    for router in (routes_meta.router, routes_workflows.router, routes_runs.router, routes_hooks.router,
                   routes_stores.router, routes_storage.router, routes_labeling.router, routes_embedding.router, routes_internal.router,
                   routes_labeling.internal, routes_workers.router, routes_prefect_proxy.router,
                   demo_site_router, demo_api_router):  # all before the editor's catch-all
        app.include_router(router)
    _serve_editor(app, settings.editor_dist)
    _declare_bearer_auth(app)
    return app


def _declare_bearer_auth(app: FastAPI) -> None:
    """Tell OpenAPI clients (and /docs' Authorize button) that routes take the API token."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["apiToken"] = {
                "type": "http", "scheme": "bearer", "description": "the output of `wirework token`"}
            schema["security"] = [{"apiToken": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def _seed_sample_flows(ctx: ServerContext) -> None:
    """Import `flows/*.json` once, on the very first start (a marker file remembers)."""
    marker = ctx.settings.data_home / "samples-imported"
    seed_dir = ctx.settings.seed_dir
    if marker.exists() or seed_dir is None or not seed_dir.is_dir():
        return
    from engine.model.workflow import WorkflowFileError, load_workflow

    for path in sorted(seed_dir.glob("*.json")):
        try:
            workflow = load_workflow(path)
            if not ctx.repo.exists(workflow.id):
                ctx.repo.create(workflow)
        except WorkflowFileError as exc:
            log.warning("sample flow %s skipped: %s", path.name, exc)
    marker.write_text("sample flows imported\n")


_NOT_BUILT = """<!doctype html><title>wirework</title><h1>wirework API is running</h1>
<p>The editor has not been built. Run <code>make run</code> (it builds <code>editor_ui/</code>),
or use the API at <a href="/docs">/docs</a>.</p>"""


def _serve_editor(app: FastAPI, dist: Path | None) -> None:
    @app.get("/{path:path}", include_in_schema=False)
    def editor(path: str):
        if path.startswith("api/") or path == "api":
            from engine.server.errors import error_response

            return error_response(404, "not_found", f"no API route /{path}")
        if dist is None or not (dist / "index.html").is_file():
            return HTMLResponse(_NOT_BUILT)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(dist / "index.html")  # client-side routes
