"""Wire shapes of demo mode: the news site's controls and JSON, and the Slack stand-in's
inbox. A Slack message's `blocks` are Block Kit, the sender's own data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, Strict

from engine.server.demo.newsroom import FAULT_MODES
from engine.server.schemas.common import IsoTime, RequestModel, ResponseModel, json_body

FaultMode = Literal[FAULT_MODES]  # type: ignore[valid-type]


class NewsPublish(RequestModel):
    count: Annotated[int, Strict()] = Field(1, ge=1, le=100, description="articles to publish now")


class NewsFault(RequestModel):
    mode: FaultMode = Field(description="garbage: list pages answer broken markup (failure drills); none: normal")


class SlackMessage(RequestModel):
    """What a Slack incoming webhook takes (either or both)."""

    text: str | None = None
    blocks: list[Any] | None = Field(None, description="Block Kit blocks")


SLACK_BODY = json_body(SlackMessage.model_json_schema(),
                       "A Slack incoming-webhook message; refused Slack's way (plain-text codes) when it is not one")


class PublishResponse(ResponseModel):
    published: list[int] = Field(description="the new articles' numbers")
    total: int


class FaultResponse(ResponseModel):
    mode: FaultMode
    modes: list[FaultMode]


class ArticleResponse(ResponseModel):
    number: int
    path: str
    headline: str
    tickers: list[str]
    published: IsoTime


class NewsResponse(ResponseModel):
    total: int
    per_page: int
    articles: list[ArticleResponse]


class InboxMessage(ResponseModel):
    id: int
    channel: str
    received_at: IsoTime
    text: str | None
    blocks: list[Any] | None
    display_text: str = Field(description="the text, or the readable text of the blocks")


class InboxResponse(ResponseModel):
    total: int
    messages: list[InboxMessage]
