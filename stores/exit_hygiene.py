"""Lets DuckDB's Python module be torn down quietly when a process exits.

Run workers and `wirework run` call `gc.freeze()` after their imports (so a run's churn
does not re-scan Prefect's and pydantic's objects). Objects in the frozen generation are
never collected, so at interpreter exit DuckDB's module-level objects (its type
constants, functions, classes) are still alive when its nanobind bindings shut down, and
nanobind prints a ~50-line "leaked instances / types / functions" dump to stderr — one
per worker, on the console of `wirework up`. Unfreezing in an exit handler (which runs
before module teardown) gives them back to the collector and the dump never appears.
Imported by `stores/__init__.py`, so every process that can reach DuckDB has it.
"""

from __future__ import annotations

import atexit
import gc

atexit.register(gc.unfreeze)
