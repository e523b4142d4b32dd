"""Tests of the API server (engine/server/) against a real `wirework up`."""
