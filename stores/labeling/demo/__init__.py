"""Demo data for the labeling project: generated financial-news-style headlines (see
generate_headlines.py; synthetic, not real news) and one lookup list per label."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = ["rather positive", "neutral", "rather negative"]


def headlines() -> list[dict]:
    """The demo headlines: {"id", "headline", "label"} each."""
    with open(HERE / "financial_headlines.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def lookup_lists() -> dict[str, list[str]]:
    return json.loads((HERE / "lookup_lists.json").read_text())
