"""Shared stores, file stores, secrets and the labeling project (DuckDB-backed)."""
