"""Process-wide settings every wirework process applies: where the data folder is
(`paths.py`) and the Prefect settings set before Prefect is imported (`prefect_env.py`)."""
