"""The `wirework` command and what only it does: `up` (start Prefect, the API server and
its run launcher), `run` / `validate` of workflow files, `token`."""

from engine.cli.commands import main

__all__ = ["main"]
