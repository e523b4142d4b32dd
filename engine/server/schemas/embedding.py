"""Wire shape of the embedding service's status (engine/embedding)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.server.schemas.common import ResponseModel


class EmbeddingModelStatus(ResponseModel):
    model: str
    device: str = Field(description='"cuda" when the service found a GPU, else "cpu"')
    loaded: bool
    texts_encoded: int
    forward_calls: int


class EmbeddingServiceResponse(ResponseModel):
    status: Literal["ok", "starting", "disabled"] = Field(
        description='"starting": the process is (re)starting; "disabled": this server runs without one')
    pid: int | None = None
    restarts: int = 0
    requests: int = 0
    texts_requested: int = Field(default=0, description="texts asked for by the API and every run")
    texts_cached: int = Field(default=0, description="of those, served from the shared vector cache")
    texts_computed: int = Field(default=0, description="of those, computed by the model")
    forward_passes: int = 0
    cache_size: int = Field(default=0, description="vectors in the cache (one per model and text)")
    models: list[EmbeddingModelStatus] = []
