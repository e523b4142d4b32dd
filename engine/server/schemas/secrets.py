"""Wire shapes of secrets and webhook targets: values go in, only masks come out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.server.schemas.common import IsoTime, RequestModel, ResponseModel

SecretKind = Literal["secret", "webhook"]


class SecretSet(RequestModel):
    value: str = Field(min_length=1, description="the clear value; never shown again")
    kind: SecretKind = Field("secret", description="webhook: an http(s) URL, whose scheme and host stay visible")


class SecretResponse(ResponseModel):
    name: str
    kind: SecretKind
    value: str = Field(description="masked (••••••••; a webhook target shows its scheme and host)")
    created_at: IsoTime
    updated_at: IsoTime
