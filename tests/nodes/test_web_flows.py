"""Web nodes inside real runs (Prefect server, app database, in-process store client):
scrape → map → aggregate → Slack, and a secret webhook URL that never shows up in the
run history, node logs, samples, Prefect's logs or the process output."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import pytest
from werkzeug import Response

from engine.execution.local_run import run_workflow
from engine.model.workflow import Workflow, parse_workflow
from engine.model.validation import validate_workflow
from stores import LocalStoreClient
from tests.builders import node, workflow
from tests.news_site import HN_ROBOTS, STORIES, hn_front_page_html, listing_config, serve_news_site

pytestmark = pytest.mark.usefixtures("prefect_api_url")

TOKEN = "xoxSECRETt0ken42"
SECRET_PATH = f"/services/T0001/B0002/{TOKEN}"
FAST = {"max_retries": 2, "backoff_s": 0.01, "max_backoff_s": 0.05}

LABEL = """
def node(record: dict) -> dict:
    words = record["headline"].lower().split()
    label = "rather positive" if {"soar", "soars", "beats", "wins"} & set(words) else "neutral"
    return {"id": record["id"], "headline": record["headline"], "url": record["url"],
            "prediction": {"results": {"sentiment": {"prediction": label}}}}
"""
SUMMARY = """
def node(records: list[dict]) -> dict:
    from datetime import datetime
    positive = [r["headline"] for r in records if r["prediction"]["results"]["sentiment"]["prediction"] == "rather positive"]
    return {"id": str(datetime.today()), "text": f"{len(positive)} of {len(records)} headlines positive: " + "; ".join(positive)}
"""


@pytest.fixture
def store_client(tmp_path):
    client = LocalStoreClient(tmp_path / "data")
    yield client
    client.close()


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def news_to_slack(start: str) -> object:
    return workflow([
        node("scrape", "http.scrape", config=listing_config(start, next_selector="a.next", max_pages=3)),
        node("label", "python.map", LABEL),
        node("summary", "python.aggregate", SUMMARY),
        node("slack", "slack.post", config={"webhook_secret": "slack-news", **FAST}),
        node("hook", "webhook.post", config={"target": "ops-hook", "per": "batch", **FAST}),
    ], [("scrape", "label"), ("label", "summary"), ("summary", "slack"), ("label", "hook")], wf_id="news-to-slack")


def everything_recorded(app_db, run_id: str) -> str:
    """Every row the app database holds about the run, as text."""
    run = app_db.get_run(run_id)
    return json.dumps(run, default=str)


def prefect_logs(flow_run_id: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + 10
    with get_client(sync_client=True) as client:
        while True:
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
            if logs or time.monotonic() > deadline:  # log shipping is batched in the background
                return [log.message for log in logs]
            time.sleep(0.2)


def test_scrape_label_summarise_and_post_to_slack(httpserver, app_db, store_client):
    start = serve_news_site(httpserver)
    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_data("ok")
    httpserver.expect_request("/ops", method="POST").respond_with_json({"received": True})
    store_client.set_secret("slack-news", httpserver.url_for(SECRET_PATH), kind="webhook")
    store_client.set_secret("ops-hook", httpserver.url_for("/ops"), kind="webhook")

    summary = run_workflow(news_to_slack(start), app_db=app_db, store_client=store_client)

    assert summary.status == "completed", summary.error
    assert summary.nodes["scrape"].records_out == len(STORIES)
    posted = [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == SECRET_PATH]
    assert len(posted) == 1 and set(posted[0]) == {"text"}
    assert posted[0]["text"].startswith("3 of 10 headlines positive: Acme shares soar after record quarter")
    batch = [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == "/ops"]
    assert len(batch) == 1 and len(batch[0]) == len(STORIES)
    assert summary.nodes["hook"].sample[0]["response"] == {"status": 200, "body": {"received": True}}
    assert TOKEN not in everything_recorded(app_db, summary.run_id)


def test_a_failing_secret_webhook_never_reveals_its_url(httpserver, app_db, store_client, caplog, capfd,
                                                      monkeypatch):
    start = serve_news_site(httpserver)
    # Slack refuses, echoing the path; the ops hook is down for good.
    httpserver.expect_request(SECRET_PATH).respond_with_data(f"invalid_token for {SECRET_PATH}", status=403)
    httpserver.expect_request(f"/ops/{TOKEN}").respond_with_data(f"overloaded at /ops/{TOKEN}", status=503)
    store_client.set_secret("slack-news", httpserver.url_for(SECRET_PATH), kind="webhook")
    store_client.set_secret("ops-hook", httpserver.url_for(f"/ops/{TOKEN}"), kind="webhook")
    # Let urllib3 and slack_sdk log everything they would: the masks must still hold.
    caplog.set_level(logging.DEBUG)
    # The local server stands in for Slack; its own access log (werkzeug) is the far side.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)

    summary = run_workflow(news_to_slack(start), app_db=app_db, store_client=store_client)

    assert summary.status == "failed"
    run = app_db.get_run(summary.run_id)
    nodes = {n["node_id"]: n for n in run["nodes"]}
    slack_error, hook_error = nodes["slack"]["error"], nodes["hook"]["error"]
    assert "HTTP 403" in slack_error["message"] and "invalid_token" in slack_error["message"]
    assert '(secret "slack-news")' in slack_error["message"] and slack_error["node"] == "slack"
    assert "HTTP 503" in hook_error["message"] and "after 3 attempts" in hook_error["message"]
    assert "(attempt 1 of" in nodes["hook"]["logs"]  # the retries were logged, with the URL masked
    assert sum(1 for req, _ in httpserver.log if req.path == f"/ops/{TOKEN}") == 3

    recorded = everything_recorded(app_db, summary.run_id)
    out, err = capfd.readouterr()
    assert TOKEN not in recorded
    logged = caplog.text + out + err
    assert [line for line in logged.splitlines() if TOKEN in line] == []
    assert '"POST /*** HTTP/1.1" 503' in logged  # urllib3's own request lines ran through the mask
    flow_run_id = run["prefect_flow_run_id"]
    assert flow_run_id
    messages = prefect_logs(flow_run_id)
    assert any("failed" in message for message in messages)  # the failures did reach Prefect
    assert [message for message in messages if TOKEN in message] == []


# -- the sample flows in flows/ ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def sample_flow(name: str, **config_overrides: dict) -> Workflow:
    """A flow from flows/ as shipped, with some node configs pointed at local servers."""
    document = json.loads((ROOT / "flows" / f"{name}.json").read_text())
    for spec in document["nodes"]:
        spec["config"].update(config_overrides.get(spec["id"], {}))
    return parse_workflow(document, source=name)


def test_sample_flows_validate_as_shipped():
    for name in ("scrape_to_store", "store_to_slack"):
        assert validate_workflow(sample_flow(name)) == []


def test_sample_flows_scrape_into_the_store_and_post_only_new_headlines(httpserver, app_db, store_client):
    stories = [(101, "Show HN: A tiny workflow engine", "https://example.com/wirework"),
               (102, "DuckDB 2.0 released", "https://duckdb.org/2026/11/20/announcing-duckdb-200.html"),
               (103, "Ask HN: How do you monitor scrapers?", "item?id=103")]
    httpserver.expect_request("/robots.txt").respond_with_data(HN_ROBOTS, content_type="text/plain")
    httpserver.expect_request("/news").respond_with_handler(
        lambda request: Response(hn_front_page_html(stories), content_type="text/html; charset=utf-8"))
    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_data("ok")
    store_client.set_secret("slack-news", httpserver.url_for(SECRET_PATH), kind="webhook")
    scrape = sample_flow("scrape_to_store", scrape={"urls": [httpserver.url_for("/news")]})
    to_slack = sample_flow("store_to_slack", slack={"backoff_s": 0.01})

    def slack_messages() -> list[dict]:
        return [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == SECRET_PATH]

    for _ in range(2):  # re-scraping the same page adds nothing
        assert run_workflow(scrape, app_db=app_db, store_client=store_client).status == "completed"
    saved = store_client.read("news")
    assert sorted(r["title"] for r in saved) == sorted(s[1] for s in stories)
    ask = next(r for r in saved if r["hn_id"] == "103")
    assert ask["url"] == httpserver.url_for("/item") + "?id=103" and ask["id"] == sha1("item?id=103")

    assert run_workflow(to_slack, app_db=app_db, store_client=store_client).status == "completed"
    first = slack_messages()
    assert len(first) == 1 and set(first[0]) == {"text"}
    assert first[0]["text"].startswith("3 new headlines on Hacker News:\n• <https://example.com/wirework|Show HN")

    assert run_workflow(to_slack, app_db=app_db, store_client=store_client).status == "completed"
    assert len(slack_messages()) == 1  # nothing new, no message

    stories.insert(0, (104, "Prefect 3.8 ships faster task runs", "https://example.org/prefect"))
    run_workflow(scrape, app_db=app_db, store_client=store_client)
    assert len(store_client.read("news")) == 4
    assert run_workflow(to_slack, app_db=app_db, store_client=store_client).status == "completed"
    latest = slack_messages()[-1]["text"]
    assert latest == "1 new headlines on Hacker News:\n• <https://example.org/prefect|Prefect 3.8 ships faster task runs>"
