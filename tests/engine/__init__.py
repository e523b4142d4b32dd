"""Tests of engine/: model, execution, workers, the CLI and schedules."""
