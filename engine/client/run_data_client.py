"""A run process's side of its run data (issue 16): upload the Arrow IPC parts of each
node's output to the API, which writes them into `run-data/<run id>/`, and read back the
outputs a partial run reuses (the API linked them into this run's folder when it started
the run). Both routes take only this run's own id with its run token
(engine/server/security.py), so a run writes and reads nothing of another run."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import orjson

from engine.client.reporting import auth_headers
from engine.client.tls import shared_ssl_context
from engine.model.run_data_files import MEDIA_TYPE

UPLOAD_ATTEMPTS = 3


class HttpRunData:
    def __init__(self, api_url: str, token: str, timeout_s: float = 120.0):
        self._client = httpx.Client(base_url=api_url, timeout=timeout_s, verify=shared_ssl_context(),
                                    headers=auth_headers(token))

    def close(self) -> None:
        self._client.close()

    def write_part(self, run_id: str, node_id: str, part: int, data: bytes) -> None:
        path = f"/api/internal/runs/{run_id}/nodes/{node_id}/output/{part}"
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            try:
                response = self._client.put(path, content=data, headers={"Content-Type": MEDIA_TYPE})
            except httpx.TransportError:
                if attempt == UPLOAD_ATTEMPTS:
                    raise
                continue
            if response.status_code < 500 or attempt == UPLOAD_ATTEMPTS:
                break
        if response.status_code >= 400:
            raise RuntimeError(f"the API refused run data of node \"{node_id}\": {response.status_code} "
                               f"{response.text[:300]}")

    def read_output(self, run_id: str, node_id: str) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.output_lines(run_id, node_id)]

    def output_lines(self, run_id: str, node_id: str) -> Iterator[bytes]:
        """Each record's JSON line, streamed: a big reused output is never held whole."""
        with self._client.stream("GET", f"/api/internal/runs/{run_id}/nodes/{node_id}/output") as response:
            if response.status_code >= 400:
                response.read()
                raise RuntimeError(f'the output of node "{node_id}" to reuse could not be read: '
                                   f"{response.status_code} {response.text[:300]}")
            pending = b""
            for chunk in response.iter_bytes():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line:
                        yield line
            if pending.strip():
                yield pending
