"""What the API server does beyond translating requests: start, queue, cancel and
settle runs (`runs.py`, `launcher.py`), issue run-scoped tokens (`run_tokens.py`),
keep Prefect deployments in sync with schedules (`schedules.py`) and fan run events
out to live subscribers (`event_hub.py`)."""
