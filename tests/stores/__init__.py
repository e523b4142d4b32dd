"""Tests of `stores/`."""
