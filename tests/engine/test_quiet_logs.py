"""The console stays quiet (issue 17 part 10): no nanobind leak dump when a process that
froze the GC exits, and Prefect's run loggers do not write to the console."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.server_harness import ROOT


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**environ, **(env or {})})


def test_a_process_that_froze_the_gc_exits_without_a_nanobind_dump():
    # What a run worker does: import the stores (DuckDB), freeze the GC, run, exit.
    done = _python("import gc, stores, duckdb\nduckdb.connect().execute('select 1').fetchall()\ngc.freeze()\n")
    assert done.returncode == 0, done.stderr
    assert "nanobind" not in done.stderr and "leaked" not in done.stderr


def test_without_the_exit_handler_the_dump_is_there():
    # The reason for stores/exit_hygiene.py, so this test notices if DuckDB stops needing it.
    done = _python("import gc, duckdb\ngc.freeze()\n")
    assert "nanobind: leaked" in done.stderr


def test_prefect_run_loggers_go_to_its_api_not_the_console(tmp_path):
    done = _python(
        "from engine.config.prefect_env import configure_prefect_env\nconfigure_prefect_env()\n"
        "import logging, prefect.logging.configuration as c\nc.setup_logging()\n"
        "for name in ('prefect.task_runs', 'prefect.flow_runs'):\n"
        "    logger = logging.getLogger(name)\n"
        "    print(name, logger.propagate, sorted(type(h).__name__ for h in logger.handlers))\n",
        env={"WIREWORK_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["prefect.task_runs False ['APILogHandler']",
                                        "prefect.flow_runs False ['APILogHandler']"]
