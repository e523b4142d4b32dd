"""The `wirework` command line: run and validate workflow files (and, later, serve).

Prefect is imported only by commands that run flows, after its settings are applied,
so `wirework validate` stays fast.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from engine.model.workflow import WorkflowFileError, load_workflow
from engine.model.runs import NodeResult, RunInfo
from engine.model.statuses import NodeStatus, RunStatus

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_USAGE = 0, 1, 2, 64

_SYMBOLS = {NodeStatus.COMPLETED: "✓", NodeStatus.FAILED: "✗", NodeStatus.RETRYING: "↻", NodeStatus.NOT_RUN: "·",
            NodeStatus.RUNNING: "▶", NodeStatus.CANCELLED: "■"}


class ProgressPrinter:
    """A live line per node event, e.g. `  ✓ clean      12 → 10 records  0.03 s`."""

    def __init__(self, out: TextIO):
        self.out = out
        self.width = 12

    def _line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run_started(self, info: RunInfo) -> None:
        self.width = max([len(n) for n in info.node_ids] + [8])
        self._line(f"▶ run {info.run_id} of {info.workflow_id} v{info.workflow_version}")

    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None:
        retry = f" (attempt {attempt})" if attempt > 1 else ""
        self._line(f"  ▶ {node_id:<{self.width}} running on {records_in} record(s){retry}")

    def node_finished(self, result: NodeResult) -> None:
        symbol = _SYMBOLS.get(result.status, "?")
        if result.status == NodeStatus.COMPLETED:
            detail = f"{result.records_in} → {result.records_out} records  {result.duration_s or 0:.2f} s"
        elif result.status in (NodeStatus.FAILED, NodeStatus.RETRYING) and result.error:
            detail = _describe_error(result.error)
        else:
            detail = "not run (an upstream node failed)" if result.status == NodeStatus.NOT_RUN else result.status
        self._line(f"  {symbol} {result.node_id:<{self.width}} {detail}")

    def run_finished(self, run_id: str, status: RunStatus, error: str | None, at: datetime) -> None:
        pass


def _describe_error(error: dict[str, Any]) -> str:
    where = []
    if error.get("record_id") is not None:
        where.append(f'record "{error["record_id"]}"')
    if error.get("line") is not None:
        where.append(f'line {error["line"]}')
    text = f"{error.get('message')}"
    if where:
        text += f" ({', '.join(where)})"
    if error.get("source_line"):
        text += f"\n      > {error['source_line']}"
    return text


def _print_summary(summary, out: TextIO) -> None:
    counts: dict[str, int] = {}
    for result in summary.nodes.values():
        counts[result.status] = counts.get(result.status, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    symbol = "✓" if summary.status == RunStatus.COMPLETED else "✗"
    print(f"{symbol} run {summary.status} in {summary.duration_s:.2f} s ({parts})", file=out)
    if summary.error:
        print(f"  {summary.error}", file=out)
    for result in summary.nodes.values():
        if result.status == NodeStatus.FAILED and result.error:
            print(f'  node "{result.node_id}" failed: {_describe_error(result.error)}', file=out)


def _load_valid(path: str):
    """The workflow in `path`, or None after printing every problem it has to stderr."""
    from engine.model.validation import validate_workflow

    try:
        workflow = load_workflow(path)
    except WorkflowFileError as exc:
        for message in exc.problems:
            print(f"✗ {exc.source}: {message}", file=sys.stderr)
        return None
    problems = validate_workflow(workflow)
    for problem in problems:
        print(f"✗ {workflow.id}: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return None
    return workflow


def cmd_validate(args: argparse.Namespace) -> int:
    workflow = _load_valid(args.file)
    if workflow is None:
        return EXIT_INVALID
    print(f"✓ {args.file}: workflow \"{workflow.id}\" is valid ({len(workflow.nodes)} nodes, {len(workflow.edges)} edges)")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from engine.config.prefect_env import configure_prefect_env

    workflow = _load_valid(args.file)
    if workflow is None:
        return EXIT_INVALID
    try:
        payload = json.loads(args.payload) if args.payload else None
    except json.JSONDecodeError as exc:
        print(f"✗ --payload is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from engine.config.paths import data_home
    from engine.server.server_file import running_server

    server_url = running_server(data_home())
    if server_url is not None:
        from engine.client.remote_run import run_on_server

        import os

        from engine.server.security import read_api_token

        token = os.environ.get("WIREWORK_API_TOKEN") or read_api_token(data_home())
        summary = run_on_server(server_url, token or "", workflow, payload, ProgressPrinter(sys.stdout), sys.stdout)
        _print_summary(summary, sys.stdout)
        return EXIT_OK if summary.status == RunStatus.COMPLETED else EXIT_FAILED

    configure_prefect_env()
    print(f"starting {workflow.id} (Prefect import and server start can take a few seconds)…", flush=True)
    from engine.server.db.app_db import AppDatabase
    from engine.execution.local_run import run_workflow
    from engine.config.paths import app_db_path, data_home
    from engine.cli.store_access import local_store_access

    app_db = AppDatabase(app_db_path())
    gc.freeze()  # long-lived imports out of the GC's way while records churn (see engine/worker.py)
    try:
        with local_store_access() as (store_client, secrets):
            summary = run_workflow(workflow, payload, app_db=app_db, observers=[ProgressPrinter(sys.stdout)],
                                   store_client=store_client, secrets=secrets, data_home=data_home())
    finally:
        app_db.close()
    _print_summary(summary, sys.stdout)
    return EXIT_OK if summary.status == RunStatus.COMPLETED else EXIT_FAILED


def cmd_token(args: argparse.Namespace) -> int:
    """Print the API token of this data folder (creating it, as `wirework up` would)."""
    import os

    from engine.server.security import load_or_create_api_token
    from engine.config.paths import data_home

    print(os.environ.get("WIREWORK_API_TOKEN") or load_or_create_api_token(data_home()))
    return EXIT_OK


def cmd_worker_token(args: argparse.Namespace) -> int:
    """Print the worker credential of this data folder (`wirework worker --token`; not the API token)."""
    from engine.config.paths import data_home
    from engine.server.worker_credential import load_or_create_worker_token

    home = data_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    print(load_or_create_worker_token(home))
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    import os

    from engine.cli.remote_worker import run_worker

    token = args.token or os.environ.get("WIREWORK_WORKER_TOKEN", "")
    if not token:
        print("✗ give the worker token: --token (print it on the server with `wirework worker-token`)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.concurrency < 1:
        print("✗ --concurrency must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    return run_worker(args.api, token, args.name, args.pool, args.concurrency)


def cmd_up(args: argparse.Namespace) -> int:
    from pathlib import Path

    from engine.cli.up import serve

    from engine.config.paths import sample_flows_dir

    seed = Path(args.flows) if args.flows else sample_flows_dir()
    return serve(args.host, args.port, args.prefect_api_url, args.prefect_port, seed, prefect_db=args.prefect_db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wirework", description="Visual workflow engine for data and ML pipelines.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a workflow file once and print per-node progress")
    run.add_argument("file")
    run.add_argument("--payload", help="JSON given to source nodes as the trigger payload")
    run.set_defaults(handler=cmd_run)
    validate = sub.add_parser("validate", help="print every problem of a workflow file")
    validate.add_argument("file")
    validate.set_defaults(handler=cmd_validate)
    token = sub.add_parser("token", help="print the API token (Authorization: Bearer …; the editor URL's ?token=)")
    token.set_defaults(handler=cmd_token)
    up = sub.add_parser("up", help="start the Prefect server, the API + editor and the run launcher")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8400)
    up.add_argument("--prefect-api-url", help="use this Prefect server instead of starting one")
    up.add_argument("--prefect-port", type=int, help="port of the Prefect server started here (default: port + 1)")
    up.add_argument("--flows", default=None,
                    help="folder of sample flows imported on the first start (default: the shipped flows/)")
    up.add_argument("--prefect-db", default=None,
                    help="database of the Prefect server started here, e.g. postgresql+asyncpg://user:pw@host/db "
                         "(default: WIREWORK_PREFECT_DATABASE_URL, else SQLite in the data folder)")
    up.set_defaults(handler=cmd_up)
    worker_token = sub.add_parser("worker-token", help="print the worker credential (for `wirework worker --token`)")
    worker_token.set_defaults(handler=cmd_worker_token)
    worker = sub.add_parser("worker", help="take runs from the server's Prefect work pool and run them here")
    worker.add_argument("--api", required=True, help="the wirework API, e.g. http://server:8400")
    worker.add_argument("--token", default=None,
                        help="the worker credential (`wirework worker-token` on the server; "
                             "default: WIREWORK_WORKER_TOKEN)")
    worker.add_argument("--name", default=None, help="this worker's name in runs (default: the host name)")
    worker.add_argument("--pool", default=None, help="the work pool (default: wirework)")
    worker.add_argument("--concurrency", type=int, default=4, help="runs at once on this worker (default 4)")
    worker.set_defaults(handler=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
