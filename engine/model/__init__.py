"""The workflow model, shared by every process: workflow documents (`workflow.py`),
their validation (`validation.py`) and what a run of one may reach (`run_scope.py`)."""
