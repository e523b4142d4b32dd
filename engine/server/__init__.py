"""The API server process (`wirework up`): the FastAPI app (`app.py`) and its security
checks (`security.py`), thin routes (`routes/`), the services behind them — runs,
the run launcher, run tokens, schedules, the live event hub (`services/`) — the app
database (`db/`), and the offline demo (`demo/`). It owns every DuckDB file."""
