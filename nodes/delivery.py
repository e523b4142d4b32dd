"""What the output nodes (`webhook.post`, `slack.post`) share: where to send, what to keep.

Owns resolving a destination (a secret name — the documented way — or a raw URL),
registering it with the node's `SecretMask` (`NodeContext.mask`, which the engine also
applies to the node's error, logs and sample) so no part of it shows up anywhere, the
"one request per record or per batch" grouping, and the shape of output records
(the input record plus the response, or one record per batch).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from uuid import uuid4

from pydantic import Field

from .base import NodeContext, NodeError, Record
from .secret_values import SecretMask, context_mask, resolve_secret

Per = Literal["record", "batch"]


def per_field() -> Any:
    return Field(default="record", title="Send one per",
                 description="record: one request per input record. batch: one request for all input records.")


@dataclass
class Destination:
    url: str
    shown: str  # safe to print: masked when the URL came from a secret (or always, for Slack)


def resolve_destination(ctx: NodeContext, *, node_id: str, secret_name: str, raw_url: str, mask: SecretMask,
                        purpose: str, always_mask: bool = False) -> Destination:
    """Where to send. A secret (or `always_mask`) URL is registered with `mask` and with the
    node's context mask, so the engine masks it in everything the node leaves behind."""
    masks = [mask] + [m for m in (context_mask(ctx),) if m is not mask]
    if secret_name:
        url = resolve_secret(ctx, secret_name, node_id=node_id, purpose=purpose)
        shown = [m.add_url(url) for m in masks][0]
        return Destination(url=url, shown=f'{shown} (secret "{secret_name}")')
    if not raw_url:
        raise NodeError(f"no destination: set the secret name for {purpose} (or a URL for local testing)",
                        node_id=node_id)
    if always_mask:
        return Destination(url=raw_url, shown=[m.add_url(raw_url) for m in masks][0])
    return Destination(url=raw_url, shown=raw_url)


def summarise_body(text: str, content_type: str, max_chars: int, mask: SecretMask | None = None) -> Any:
    """A response body for the output record: parsed JSON when it is JSON, else (cut) text.
    Text is masked before it is cut (a cut through a secret would leave its start visible);
    parsed JSON is masked value by value by `output_record`."""
    if "json" in content_type.lower():
        try:
            return json.loads(text)
        except ValueError:
            pass
    if mask:
        text = mask.text(text)
    return text if len(text) <= max_chars else text[:max_chars] + f"… [{len(text) - max_chars} more characters]"


def groups(records: list[Record], per: Per) -> list[list[Record]]:
    if per == "batch":
        return [records] if records else []
    return [[record] for record in records]


def output_record(group: list[Record], per: Per, response_field: str, response: dict[str, Any],
                  mask: SecretMask) -> Record:
    """Per record: the record with the response added. Per batch: one summary record."""
    response = mask.value(response)
    if per == "record":
        return {**group[0], response_field: response}
    return {"id": str(uuid4()), "count": len(group), "record_ids": [r.get("id") for r in group],
            response_field: response}
