"""The embedding service's status: is it up, on which device, how much work it did."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from engine.server.context import ServerContext, get_context
from engine.server.schemas.embedding import EmbeddingServiceResponse
from engine.server.schemas.errors import COMMON_ERRORS
from stores.labeling.embedding_client import EmbeddingServiceClient, EmbeddingServiceUnavailable

router = APIRouter(prefix="/api/embedding-service", tags=["labeling"], responses=COMMON_ERRORS)


@router.get("")
def embedding_service_status(ctx: ServerContext = Depends(get_context)) -> EmbeddingServiceResponse:
    supervisor = ctx.embeddings
    if supervisor is None:
        return EmbeddingServiceResponse(status="disabled")
    client = EmbeddingServiceClient(supervisor.socket_path, connect_timeout_s=2.0)
    try:
        stats = client.stats()
    except EmbeddingServiceUnavailable:
        return EmbeddingServiceResponse(status="starting", restarts=supervisor.restarts)
    finally:
        client.close()
    return EmbeddingServiceResponse(status="ok", restarts=supervisor.restarts,
                                    **{k: v for k, v in stats.items() if k in EmbeddingServiceResponse.model_fields})
