"""`server.json` in the data folder: how other wirework commands find a running server.

The server owns the data folder's DuckDB files while it runs, so `wirework run` must go
through it instead of opening them; this file says where it listens.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx

FILE_NAME = "server.json"


def announce(data_home: Path, api_url: str) -> None:
    (data_home / FILE_NAME).write_text(json.dumps({"url": api_url, "pid": os.getpid()}))


def withdraw(data_home: Path) -> None:
    path = data_home / FILE_NAME
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_server(data_home: Path) -> str | None:
    """The URL of a live server for this data folder, or None."""
    try:
        url = json.loads((data_home / FILE_NAME).read_text())["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        if httpx.get(f"{url}/api/health", timeout=2.0).status_code == 200:
            return url
    except httpx.HTTPError:
        pass
    return None
