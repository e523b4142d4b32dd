"""HTTP side of demo mode: the news site and the Slack-compatible inbox.

Pages and the webhook receiver live under `/demo/` (outside `/api`, like the sites they
stand in for); JSON for tests, benchmarks and the curious under `/api/demo/`. Both
routers are included before the editor's catch-all route. The demo objects are made
on first use from the app database the server already owns.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
import orjson
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from engine.server.context import get_context
from engine.server.errors import ApiError
from engine.server.demo.inbox import Inbox, InvalidMessage
from engine.server.demo.news_site import GARBAGE_HTML, PER_PAGE, article_html, list_page_html
from engine.server.demo.newsroom import FAULT_MODES, Newsroom
from engine.server.schemas.demo import (
    SLACK_BODY, FaultResponse, InboxResponse, NewsFault, NewsPublish, NewsResponse, PublishResponse,
)
from engine.server.schemas.errors import COMMON_ERRORS, error_responses

CHANNEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
MAX_MESSAGE_BYTES = 100_000

site_router = APIRouter(prefix="/demo", tags=["demo"], responses=error_responses(422, 500))
api_router = APIRouter(prefix="/api/demo", tags=["demo"], responses=COMMON_ERRORS)


@dataclass
class Demo:
    newsroom: Newsroom
    inbox: Inbox


_demo_lock = threading.Lock()


def get_demo(request: Request) -> Demo:
    demo = getattr(request.app.state, "wirework_demo", None)
    if demo is None:
        with _demo_lock:
            demo = getattr(request.app.state, "wirework_demo", None)
            if demo is None:
                ctx = get_context(request)
                demo = request.app.state.wirework_demo = Demo(Newsroom(ctx.db), Inbox(ctx.db))
    return demo


def require_token_if_set(request: Request) -> None:
    """The site's controls change state, so they need the user (API token or the editor's
    cookie). Pages and the Slack stand-in stay open, like the sites they imitate (a flow
    posts to the inbox without credentials, as to Slack)."""
    from engine.server.security import principal_of

    if principal_of(request).kind != "user":
        raise ApiError(401, "unauthorized", "send the API token as `Authorization: Bearer <token>` "
                                            "(print it with `wirework token`)")


# -- the news site ------------------------------------------------------------------------
@site_router.get("/news", include_in_schema=False)
@site_router.get("/news/", response_class=HTMLResponse, summary="Demo news: a list page (newest first)")
def news_list(page: int = Query(1, ge=1, le=100_000), demo: Demo = Depends(get_demo)) -> HTMLResponse:
    if demo.newsroom.fault == "garbage":
        return HTMLResponse(GARBAGE_HTML)
    total = demo.newsroom.total()
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        return HTMLResponse(list_page_html([], page, pages), status_code=404)
    articles = demo.newsroom.newest((page - 1) * PER_PAGE, PER_PAGE)
    return HTMLResponse(list_page_html(articles, page, pages))


@site_router.get("/news/articles/{slug}", response_class=HTMLResponse, summary="Demo news: one article")
def news_article(slug: str, demo: Demo = Depends(get_demo)) -> HTMLResponse:
    number = int(slug[:5]) if re.match(r"^\d{5}-", slug) else 0
    article = demo.newsroom.article(number) if number else None
    if article is None or article.slug != slug:
        return HTMLResponse("<!DOCTYPE html><title>Not found</title><h1>No such article</h1>", status_code=404)
    return HTMLResponse(article_html(article))


CONTROL_ERRORS = error_responses(401, 403, 415, 422, 500)


@site_router.post("/news/publish", summary="Demo news: publish new articles now",
                  dependencies=[Depends(require_token_if_set)], responses=CONTROL_ERRORS)
def news_publish(body: NewsPublish | None = Body(None), demo: Demo = Depends(get_demo)) -> PublishResponse:
    numbers = demo.newsroom.publish(body.count if body is not None else 1)
    return PublishResponse(published=numbers, total=demo.newsroom.total())


@site_router.post("/news/fault", summary="Demo news: make list pages answer garbage (failure drills)",
                  dependencies=[Depends(require_token_if_set)], responses=CONTROL_ERRORS)
def news_fault(body: NewsFault, demo: Demo = Depends(get_demo)) -> FaultResponse:
    demo.newsroom.set_fault(body.mode)
    return FaultResponse(mode=demo.newsroom.fault, modes=list(FAULT_MODES))


@api_router.get("/news", summary="Demo news: every published article as JSON")
def news_json(demo: Demo = Depends(get_demo)) -> NewsResponse:
    total = demo.newsroom.total()
    articles = demo.newsroom.newest(0, total)
    return NewsResponse(total=total, per_page=PER_PAGE, articles=[
        {"number": a.number, "path": a.path, "headline": a.headline, "tickers": list(a.tickers),
         "published": a.published.isoformat()} for a in articles])


# -- the Slack-compatible inbox -------------------------------------------------------------
@site_router.post("/slack/{channel}", response_class=PlainTextResponse, openapi_extra=SLACK_BODY,
                  summary="Slack-compatible incoming webhook: {text} and/or {blocks}; answers ok",
                  responses={200: {"description": "`ok`, or Slack's plain-text error codes "
                                                  "(channel_not_found, invalid_payload, no_text, …)",
                                   "content": {"text/plain": {"schema": {"type": "string"}}}}})
async def slack_webhook(channel: str, request: Request, demo: Demo = Depends(get_demo)) -> PlainTextResponse:
    # Answers in Slack's own style (plain-text codes), so clients handle it like Slack.
    if not CHANNEL_PATTERN.match(channel):
        return PlainTextResponse("channel_not_found", status_code=404)
    body = await request.body()
    if len(body) > MAX_MESSAGE_BYTES:
        return PlainTextResponse("request_too_large", status_code=413)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return PlainTextResponse("invalid_payload", status_code=400)
    try:
        demo.inbox.receive(channel, payload)
    except InvalidMessage as exc:
        return PlainTextResponse(exc.code, status_code=400)
    return PlainTextResponse("ok")


@api_router.get("/inbox", summary="Demo Slack inbox: messages, newest first")
def inbox_json(channel: str | None = Query(None, max_length=80), limit: int = Query(50, ge=1, le=1000),
               demo: Demo = Depends(get_demo)) -> InboxResponse:
    return InboxResponse(total=demo.inbox.count(channel), messages=demo.inbox.messages(channel, limit))


def _inbox_page(messages: list[dict], total: int) -> str:
    items = "".join(f"""
    <li class="message" data-channel="{html.escape(m['channel'])}">
      <div class="meta"><span class="channel">#{html.escape(m['channel'])}</span>
        <time datetime="{m['received_at']}">{m['received_at'][:19].replace('T', ' ')} UTC</time></div>
      <div class="text">{html.escape(m['display_text'] or '').replace(chr(10), '<br>')}</div>
    </li>""" for m in messages)
    empty = """<p class="empty">No messages yet. Open the editor, open <b>Stock news sentiment to Slack</b> and press
      Run: its summary arrives here.</p>"""
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Slack inbox (demo) — wirework</title>
<style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}}
ul{{list-style:none;padding:0}} li.message{{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}}
.meta{{color:#666;font-size:.85rem;margin-bottom:.3rem}} .channel{{font-weight:700;color:#4a154b;margin-right:.6rem}}
.text{{white-space:normal}}</style></head>
<body>
  <h1>Slack inbox (demo)</h1>
  <p>Messages that flows posted to <code>/demo/slack/&lt;channel&gt;</code>, the local stand-in for a Slack
  incoming webhook (the secret <code>slack-webhook</code> points here until you replace it with a real
  Slack webhook URL). {total} message(s); newest first; this page refreshes every 5 s.</p>
  <ul id="messages">{items or empty}</ul>
  <p><a href="/">Editor</a> · <a href="/demo/news/">Demo news site</a></p>
</body>
</html>"""


@site_router.get("/inbox", response_class=HTMLResponse, summary="Demo Slack inbox page")
def inbox_page(channel: str | None = Query(None, max_length=80), demo: Demo = Depends(get_demo)) -> HTMLResponse:
    return HTMLResponse(_inbox_page(demo.inbox.messages(channel, 200), demo.inbox.count(channel)))
