"""Running a workflow — the run process's side: the Prefect executor (`executor.py`),
deadlines and node logs, run events and observers, the warm worker process
(`worker.py`), in-process runs for the CLI (`local_run.py`) and the sandbox that user
code runs in (`sandbox.py`)."""
