"""Tests of `nodes/`."""
