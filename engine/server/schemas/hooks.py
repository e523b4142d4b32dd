"""Wire shapes of the webhook trigger: any JSON in (the trigger payload, read with a
size limit by the route itself), the started run's id out."""

from __future__ import annotations

from engine.server.schemas.common import json_body
from engine.server.schemas.runs import RunStartedResponse

WEBHOOK_BODY = json_body({"description": "any JSON (or nothing): the run's trigger payload"},
                         "The trigger payload, passed to the run as it is")
WEBHOOK_BODY["requestBody"]["required"] = False

__all__ = ["RunStartedResponse", "WEBHOOK_BODY"]
