"""`webhook.post`: POST records as JSON to a URL or a named webhook target.

The body is the whole record, one field of it, or a JSON template with `{field}`
placeholders (`payload_template`); per batch, the body is the list of records (or of
field values), or the template filled with `{records}` and `{count}`. Retries follow
`http_retry` (429/5xx/connection errors, `Retry-After`, backoff with jitter); a read
timeout is *not* retried, because the server may already have acted on the POST.
A 4xx fails the node with the response body in the error. Redirects are not followed:
requests would turn a redirected POST into a GET and drop the body.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

import requests
from pydantic import Field

from .base import ConfigProblem, NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record
from .delivery import Per, groups, output_record, per_field, resolve_destination, summarise_body
from .http_retry import HttpFailure, RetryPolicy, attempt_line, request_with_retries, status_hint
from .payload_template import TemplateError, get_path, parse_template, render
from .secret_values import SecretMask, context_mask, masked_loggers, resolve_secret
from .web_fetch import DEFAULT_USER_AGENT

# Loggers that print request lines (urllib3 logs "POST /path" at debug level).
THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "urllib3", "requests")


class WebhookConfig(NodeConfig):
    target: str = Field(default="", title="Webhook target (secret)",
                        description="Name of the secret that holds the URL: the documented way.",
                        json_schema_extra={"format": "secret"})
    url: str = Field(default="", title="URL", description="A plain URL instead of a target (e.g. local testing).")
    body: Literal["record", "field", "template"] = Field(
        default="record", title="Body", description="The whole record, one field, or a JSON template.")
    field: str = Field(default="", title="Field", description='For body "field": the field to send (dotted path).')
    template: str = Field(
        default="", title="JSON template",
        description='For body "template": JSON with {field} placeholders, e.g. {"title": "{title}"}. '
                    "Per batch it gets {records} and {count}.",
        json_schema_extra={"format": "json"})
    per: Per = per_field()
    headers: dict[str, str] = Field(default_factory=dict, title="Extra headers",
                                    description="Plain headers; put credentials in the authorization secret.")
    auth_secret: str = Field(default="", title="Authorization secret",
                             description='Name of a secret sent as the Authorization header (e.g. "Bearer …").',
                             json_schema_extra={"format": "secret"})
    timeout_s: float = Field(default=10.0, gt=0, le=300, title="Request timeout (s)", description="Per request.")
    max_retries: int = Field(default=3, ge=0, le=10, title="Request retries",
                             description="Retries on 429, 5xx and connection errors.")
    backoff_s: float = Field(default=0.5, ge=0, le=60, title="Backoff (s)")
    max_backoff_s: float = Field(default=30.0, ge=0, le=600, title="Max backoff (s)")
    response_field: str = Field(default="response", min_length=1, title="Response field",
                                description="Where the response status and body go in the output record.")
    max_response_chars: int = Field(default=10_000, ge=100, title="Max response body kept (characters)")


class WebhookPost(NodeType):
    type = "webhook.post"
    category = "sink"
    title = "Webhook (POST JSON)"
    description = "POSTs each record (or the whole batch) as JSON; retries 429/5xx; records the response."
    Config = WebhookConfig
    config: WebhookConfig

    def check(self) -> list[ConfigProblem]:
        c = self.config
        problems: list[ConfigProblem] = []
        if bool(c.target) == bool(c.url):
            problems.append(ConfigProblem("set exactly one of: a webhook target (secret name) or a URL", field="target"))
        if c.url and not c.url.startswith(("http://", "https://")):
            problems.append(ConfigProblem("the URL must start with http:// or https://", field="url"))
        if c.body == "field" and not c.field:
            problems.append(ConfigProblem('body "field" needs the field to send', field="field"))
        if c.body == "template":
            try:
                parse_template(c.template)
            except TemplateError as exc:
                problems.append(ConfigProblem(str(exc), field="template"))
        return problems

    def references(self) -> NodeReferences:
        return NodeReferences.of(secrets=[self.config.target, self.config.auth_secret])

    def _payload(self, group: list[Record], template: Any) -> Any:
        c = self.config
        if c.body == "record":
            return group[0] if c.per == "record" else group
        if c.body == "field":
            values = [get_path(record, c.field) for record in group]
            return values[0] if c.per == "record" else values
        if c.per == "record":
            return render(template, group[0])
        return render(template, {"records": group, "count": len(group)})

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        c = self.config
        mask = context_mask(ctx)  # shared with the engine, which masks error, logs and sample
        destination = resolve_destination(ctx, node_id=self.node_id, secret_name=c.target, raw_url=c.url, mask=mask,
                                          purpose="the webhook URL")
        template = parse_template(c.template) if c.body == "template" else None
        policy = RetryPolicy(max_retries=c.max_retries, backoff_s=c.backoff_s, max_backoff_s=c.max_backoff_s,
                             retry_read_timeouts=False)
        out: list[Record] = []
        with requests.Session() as session, masked_loggers(mask, THIRD_PARTY_LOGGERS):
            session.headers.update({"User-Agent": DEFAULT_USER_AGENT, "Content-Type": "application/json",
                                    **c.headers})
            if c.auth_secret:
                token = resolve_secret(ctx, c.auth_secret, node_id=self.node_id, purpose="the Authorization header")
                mask.add_value(token)
                session.headers["Authorization"] = token
            for group in groups(records, c.per):
                ctx.check_cancelled()
                record_id = group[0].get("id") if c.per == "record" else None
                try:
                    payload = self._payload(group, template)
                except TemplateError as exc:
                    raise NodeError(f"building the body failed: {exc}", node_id=self.node_id,
                                    record_id=group[0].get("id")) from None
                response = self._post(ctx, session, destination.url, destination.shown, payload, policy, mask,
                                      record_id)
                out.append(output_record(group, c.per, c.response_field, response, mask))
        return out

    def _post(self, ctx: NodeContext, session: requests.Session, url: str, shown: str, payload: Any,
              policy: RetryPolicy, mask: SecretMask, record_id: str | None) -> dict[str, Any]:
        c = self.config
        data = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")

        def log_attempt(attempt: int, outcome: str, delay: float | None) -> None:
            ok = delay is None and outcome.startswith("HTTP ") and outcome[5:6] in "123"
            ctx.logger.log(logging.INFO if ok else logging.WARNING, "%s",
                           attempt_line(f"POST {shown}", attempt, policy.max_retries + 1, outcome, delay))

        try:
            response = request_with_retries(session, "POST", url, policy=policy, timeout=c.timeout_s, data=data,
                                            allow_redirects=False, cancel_event=ctx.cancel_event, on_attempt=log_attempt)
        except HttpFailure as failure:
            detail = failure.reason
            if failure.response is not None:
                # Masked before it is cut: a cut through a secret would leave its start unmasked.
                detail += f"; response body: {mask.text(failure.response.text)[:500]!r}"
            raise NodeError(mask.text(f"POST {shown} failed: {detail}; {status_hint(failure.status, 'the receiving server')}"),
                            node_id=self.node_id,
                            record_id=record_id, exception_type="WebhookError") from None
        body = summarise_body(response.text, response.headers.get("Content-Type", ""), c.max_response_chars, mask)
        if response.status_code >= 300:
            hint = (status_hint(response.status_code, "the receiving server")
                    if response.status_code >= 400 else "redirects are not followed: use the final URL")
            raise NodeError(mask.text(f"POST {shown} answered HTTP {response.status_code} "
                                      f"{response.reason or ''}; response body: {mask.text(response.text)[:1000]!r}; {hint}"),
                            node_id=self.node_id, record_id=record_id, exception_type="WebhookError")
        return {"status": response.status_code, "body": body}
