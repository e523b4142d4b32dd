"""`slack.post`: post records to Slack through an incoming webhook (slack_sdk `WebhookClient`).

The message text defaults to the record's `text` field (a Kern aggregate returns
`{"id", "text"}`), or comes from a `{field}` text template; Block Kit blocks come from a
JSON template (`payload_template`). One message per record, or one per batch (texts
joined by newlines, blocks concatenated and split into messages of at most 50 blocks,
Slack's limit). The webhook URL is a secret (its name in the config); a raw URL is
accepted for local testing. Either way it is masked everywhere: Slack webhook URLs are
credentials. Retries use slack_sdk's own handlers, bounded and timed by the same rule
as `http_retry` (backoff with jitter, `Retry-After` honoured and capped); each handler
reports its retry to an `_Attempts` log, so the node log has one line per attempt with
its status and wait (500, 500, 200 is three lines), and a final failure gets the hint
that fits its status (`http_retry.status_hint`).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

from pydantic import Field
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler,
)
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from .base import ConfigProblem, NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record
from .delivery import Per, groups, output_record, per_field, resolve_destination
from .http_retry import RETRY_STATUSES, RetryPolicy, attempt_line, parse_retry_after, status_hint
from .payload_template import TemplateError, get_path, parse_template, render
from .secret_values import SecretMask, context_mask, masked_loggers

MAX_BLOCKS_PER_MESSAGE = 50  # Slack rejects more with "invalid_blocks"


class SlackConfig(NodeConfig):
    webhook_secret: str = Field(default="", title="Webhook URL secret",
                                description="Name of the secret holding the Slack incoming-webhook URL.",
                                json_schema_extra={"format": "secret"})
    webhook_url: str = Field(default="", title="Webhook URL (local testing only)",
                             description="A raw webhook URL; prefer a secret. It is masked in logs and errors.")
    text_field: str = Field(default="text", title="Text field",
                            description="The record field holding the message text.")
    text_template: str = Field(default="", title="Text template",
                               description='Instead of the text field: text with {field} placeholders, e.g. '
                                           '"{title} ({prediction.results.sentiment.prediction})".')
    blocks_template: str = Field(
        default="", title="Block Kit template",
        description='JSON list of blocks (or {"blocks": [...]}) with {field} placeholders; the text is then '
                    "the notification fallback.", json_schema_extra={"format": "json"})
    per: Per = per_field()
    timeout_s: float = Field(default=15.0, gt=0, le=300, title="Request timeout (s)", description="Per request.")
    max_retries: int = Field(default=3, ge=0, le=10, title="Request retries",
                             description="Retries on 429, 5xx and connection errors.")
    backoff_s: float = Field(default=0.5, ge=0, le=60, title="Backoff (s)")
    max_backoff_s: float = Field(default=30.0, ge=0, le=600, title="Max backoff (s)")
    response_field: str = Field(default="slack", min_length=1, title="Response field")


class _Attempts:
    """The node-log lines of one message's attempts; the retry handlers report each retry."""

    def __init__(self, logger: logging.Logger, shown: str, policy: RetryPolicy):
        self.logger, self.what, self.total = logger, f"POST to Slack at {shown}", policy.max_retries + 1
        self.retries = 0

    def start(self) -> None:
        self.retries = 0

    def retrying(self, response: Optional[HttpResponse], error: Optional[Exception], delay: float) -> None:
        self.retries += 1
        outcome = (f"HTTP {response.status_code}" if response is not None
                   else f"{type(error).__name__ if error else 'error'}: could not connect")
        self.logger.warning("%s", attempt_line(self.what, self.retries, self.total, outcome, delay))

    def final(self, outcome: str, ok: bool) -> None:
        self.logger.log(logging.INFO if ok else logging.WARNING, "%s",
                        attempt_line(self.what, self.retries + 1, self.total, outcome, None))


def _sleep_and_log(handler: RetryHandler, attempts: _Attempts | None, state: RetryState,
                   response: Optional[HttpResponse], error: Optional[Exception], delay: float) -> None:
    """What slack_sdk's `prepare_for_next_attempt` does, plus the log line."""
    state.next_attempt_requested = True
    if attempts is not None:
        attempts.retrying(response, error, delay)
    time.sleep(delay)
    state.increment_current_attempt()


class _PolicyInterval(RetryIntervalCalculator):
    """slack_sdk's backoff hook, timed by our RetryPolicy (capped, jittered)."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return self.policy.backoff(current_attempt)


class _ConnectionErrors(ConnectionErrorRetryHandler):
    attempts: _Attempts | None = None

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> None:
        delay = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        _sleep_and_log(self, self.attempts, state, response, error, delay)


class _ServerErrors(ServerErrorRetryHandler):
    """slack_sdk retries only 500 and 503; gateways answer 502/504 too."""

    attempts: _Attempts | None = None

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> None:
        delay = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        _sleep_and_log(self, self.attempts, state, response, error, delay)

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: Optional[HttpResponse] = None,
                   error: Optional[Exception] = None) -> bool:
        return response is not None and response.status_code in RETRY_STATUSES - {429}


class _RateLimit(RateLimitErrorRetryHandler):
    """Waits what Retry-After says (any valid form), but gives up past the policy's cap."""

    def __init__(self, policy: RetryPolicy):
        super().__init__(max_retry_count=policy.max_retries, interval_calculator=_PolicyInterval(policy))
        self.policy = policy
        self.attempts: _Attempts | None = None

    def _retry_after(self, response: HttpResponse) -> float | None:
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                return parse_retry_after(values[0] if isinstance(values, list) else values)
        return None

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: Optional[HttpResponse] = None,
                   error: Optional[Exception] = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        asked = self._retry_after(response)
        return asked is None or asked <= self.policy.max_retry_after_s

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> None:
        asked = self._retry_after(response) if response is not None else None
        delay = asked if asked is not None else self.policy.backoff(state.current_attempt)
        _sleep_and_log(self, self.attempts, state, response, error, delay)


def retry_handlers(policy: RetryPolicy, attempts: _Attempts | None = None) -> list[RetryHandler]:
    interval = _PolicyInterval(policy)
    handlers: list[_ConnectionErrors | _RateLimit | _ServerErrors] = [
        _ConnectionErrors(max_retry_count=policy.max_retries, interval_calculator=interval),
        _RateLimit(policy),
        _ServerErrors(max_retry_count=policy.max_retries, interval_calculator=interval),
    ]
    for handler in handlers:
        handler.attempts = attempts
    return list(handlers)


class SlackPost(NodeType):
    type = "slack.post"
    category = "sink"
    title = "Slack message"
    description = ("Posts each record's text (or Block Kit blocks from a template) to a Slack incoming webhook, "
                   "one message per record or per batch.")
    Config = SlackConfig
    config: SlackConfig

    def check(self) -> list[ConfigProblem]:
        c = self.config
        problems: list[ConfigProblem] = []
        if bool(c.webhook_secret) == bool(c.webhook_url):
            problems.append(ConfigProblem("set exactly one of: the webhook URL secret or a raw webhook URL",
                                          field="webhook_secret"))
        if c.webhook_url and not c.webhook_url.startswith(("http://", "https://")):
            problems.append(ConfigProblem("the webhook URL must start with https://", field="webhook_url"))
        if c.blocks_template:
            try:
                self._blocks_template()
            except TemplateError as exc:
                problems.append(ConfigProblem(str(exc), field="blocks_template"))
        if not c.text_field and not c.text_template and not c.blocks_template:
            problems.append(ConfigProblem("say what to post: a text field, a text template or blocks",
                                          field="text_field"))
        return problems

    def references(self) -> NodeReferences:
        return NodeReferences.of(secrets=[self.config.webhook_secret])

    def _blocks_template(self) -> list[Any] | None:
        if not self.config.blocks_template:
            return None
        template = parse_template(self.config.blocks_template)
        if isinstance(template, dict) and isinstance(template.get("blocks"), list):
            template = template["blocks"]
        if not isinstance(template, list):
            raise TemplateError('the Block Kit template must be a JSON list of blocks or {"blocks": [...]}')
        return template

    def _text(self, record: Record, required: bool) -> str | None:
        c = self.config
        if c.text_template:
            value = render(c.text_template, record)
        else:
            try:
                value = get_path(record, c.text_field)
            except TemplateError:
                if required:
                    raise
                return None
        return value if isinstance(value, str) else str(value)

    def _messages(self, group: list[Record], blocks_template: list[Any] | None) -> list[dict[str, Any]]:
        """The Slack payloads for one group: `{"text": ...}` and/or `{"blocks": [...]}`."""
        texts = [t for t in (self._text(r, required=blocks_template is None) for r in group) if t is not None]
        text = "\n".join(texts) if texts else None
        if blocks_template is None:
            return [{"text": text}]
        blocks: list[Any] = []
        for record in group:
            blocks.extend(render(blocks_template, record))
        chunks = [blocks[i:i + MAX_BLOCKS_PER_MESSAGE] for i in range(0, len(blocks), MAX_BLOCKS_PER_MESSAGE)]
        return [{"text": text, "blocks": chunk} if text else {"blocks": chunk} for chunk in chunks or [[]]]

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        c = self.config
        mask = context_mask(ctx)  # shared with the engine, which masks error, logs and sample
        destination = resolve_destination(ctx, node_id=self.node_id, secret_name=c.webhook_secret,
                                          raw_url=c.webhook_url, mask=mask, purpose="the Slack webhook URL",
                                          always_mask=True)
        policy = RetryPolicy(max_retries=c.max_retries, backoff_s=c.backoff_s, max_backoff_s=c.max_backoff_s)
        # Our own logger at WARNING: slack_sdk builds its URL-bearing debug/info lines only
        # when its logger's level is DEBUG or unset; what it does log is masked.
        sdk_logger = logging.getLogger(f"{ctx.logger.name}.slack_sdk")
        sdk_logger.setLevel(logging.WARNING)
        # slack_sdk annotates `timeout: int`, but hands it to urllib, which takes float seconds.
        attempts = _Attempts(ctx.logger, destination.shown, policy)
        client = WebhookClient(url=destination.url, timeout=c.timeout_s, logger=sdk_logger,  # type: ignore[arg-type]
                               retry_handlers=retry_handlers(policy, attempts))
        blocks_template = self._blocks_template()
        out: list[Record] = []
        with masked_loggers(mask, [sdk_logger.name]):
            for group in groups(records, c.per):
                ctx.check_cancelled()
                record_id = group[0].get("id") if c.per == "record" else None
                try:
                    messages = self._messages(group, blocks_template)
                except TemplateError as exc:
                    raise NodeError(f"building the Slack message failed: {exc}", node_id=self.node_id,
                                    record_id=record_id) from None
                responses = [self._send(client, destination.shown, message, mask, record_id, attempts)
                             for message in messages]
                last = responses[-1]
                summary = {**last, "messages": len(responses)} if len(responses) > 1 else last
                out.append(output_record(group, c.per, c.response_field, summary, mask))
        return out

    def _send(self, client: WebhookClient, shown: str, message: dict[str, Any], mask: SecretMask,
              record_id: str | None, attempts: _Attempts) -> dict[str, Any]:
        attempts.start()
        try:
            response = client.send_dict(message)
        except Exception as exc:  # connection errors after slack_sdk's retries
            attempts.final(f"{type(exc).__name__}: could not connect", ok=False)
            tries = f" after {attempts.retries + 1} attempts" if attempts.retries else ""
            raise NodeError(mask.text(f"posting to Slack at {shown} failed{tries}: {type(exc).__name__}: {exc}; "
                                      f"{status_hint(None, 'Slack')}"),
                            node_id=self.node_id, record_id=record_id, exception_type="SlackError") from None
        attempts.final(f"HTTP {response.status_code}", ok=response.status_code == 200)
        if response.status_code != 200:
            tries = f" after {attempts.retries + 1} attempts" if attempts.retries else ""
            hint = (status_hint(response.status_code, "Slack") if response.status_code != 400
                    else "Slack refused the message: check its format (text or blocks)")
            raise NodeError(mask.text(f"Slack at {shown} answered HTTP {response.status_code}{tries}: "
                                      f"{response.body!r}; {hint}"),
                            node_id=self.node_id, record_id=record_id, exception_type="SlackError")
        return {"status": response.status_code, "body": response.body}
