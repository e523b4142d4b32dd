"""The app database (`app.duckdb`): workflows and their versions (`workflows.py`), run
and node-run history (`app_db.py`)."""
