"""Demo mode in-process (no Prefect, no workers): the generated news site, its controls,
the Slack-compatible inbox and the first-start demo setup, through the real FastAPI app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.server.app import create_app
from engine.server.context import ServerSettings
from engine.server.demo.news_site import make_article
from engine.server.demo.newsroom import INITIAL_ARTICLES

ROOT = Path(__file__).resolve().parents[2]


def app_client(home: Path, authenticated: bool = True, **settings) -> TestClient:
    """The real app in-process, addressed as 127.0.0.1 (the Host check refuses other names)."""
    home.mkdir(parents=True, exist_ok=True)
    settings.setdefault("api_token", "test-token")
    settings.setdefault("seed_dir", ROOT / "flows")
    settings.setdefault("run_workers", False)
    headers = {"Authorization": f"Bearer {settings['api_token']}"} if authenticated else {}
    return TestClient(create_app(ServerSettings(data_home=home, **settings)), base_url="http://127.0.0.1:8400",
                      headers=headers)


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWORK_DEMO_NEWS_EVERY_S", "0")
    with app_client(tmp_path / "home") as c:
        yield c


def test_articles_are_generated_the_same_every_time():
    from datetime import datetime, timezone

    at = datetime(2026, 11, 23, tzinfo=timezone.utc)
    first, again = make_article(17, at), make_article(17, at)
    assert first == again and first.slug.startswith("00017-")
    assert make_article(18, at).headline != first.headline or make_article(18, at).tickers != first.tickers


def test_pages_beyond_the_last_are_404_and_garbage_mode_breaks_the_markup(client):
    assert client.get("/api/demo/news").json()["total"] == INITIAL_ARTICLES
    assert client.get("/demo/news/", params={"page": 2}).status_code == 200
    assert client.get("/demo/news/", params={"page": 3}).status_code == 404
    assert client.post("/demo/news/fault", json={"mode": "garbage"}).status_code == 200
    broken = client.get("/demo/news/")
    assert broken.status_code == 200 and 'class="articles"' not in broken.text
    assert client.post("/demo/news/fault", json={"mode": "explode"}).status_code == 422
    client.post("/demo/news/fault", json={"mode": "none"})
    assert 'class="articles"' in client.get("/demo/news").text


def test_articles_appear_over_time_when_the_clock_is_on(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWORK_DEMO_NEWS_EVERY_S", "60")
    with app_client(tmp_path / "home") as c:
        assert c.get("/api/demo/news").json()["total"] == INITIAL_ARTICLES
        newsroom = c.app.state.wirework_demo.newsroom
        # Pretend the newest article is 3.5 intervals old: three more are due.
        newsroom.table.backdate(210)
        assert c.get("/api/demo/news").json()["total"] == INITIAL_ARTICLES + 3


def test_demo_controls_need_the_api_token_when_one_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWORK_DEMO_NEWS_EVERY_S", "0")
    with app_client(tmp_path / "home", authenticated=False, api_token="s3cret") as c:
        assert c.post("/demo/news/publish", json={"count": 1}).status_code == 401
        ok = c.post("/demo/news/publish", json={"count": 1}, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["total"] == INITIAL_ARTICLES + 1
        assert c.post("/demo/slack/news", json={"text": "no token needed, like Slack"}).text == "ok"


def test_the_inbox_keeps_messages_across_restarts_and_setup_runs_once(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWORK_DEMO_NEWS_EVERY_S", "0")
    home = tmp_path / "home"
    with app_client(home) as c:
        assert c.post("/demo/slack/news", json={"text": "first"}).text == "ok"
        c.post("/demo/news/publish", json={"count": 2})
        labels = c.get("/api/labeling/projects/stock-sentiment/tasks/sentiment/labels").json()
    assert (home / "demo-created").exists()
    with app_client(home) as c:
        assert [m["text"] for m in c.get("/api/demo/inbox").json()["messages"]] == ["first"]
        assert c.get("/api/demo/news").json()["total"] == INITIAL_ARTICLES + 2
        assert c.get("/api/labeling/projects/stock-sentiment/tasks/sentiment/labels").json() == labels
        assert len(c.get("/api/labeling/projects/stock-sentiment/tasks/sentiment/heuristics").json()) == 4


def test_the_slack_webhook_secret_points_at_the_local_inbox(client):
    ctx = client.app.state.wirework
    assert ctx.stores.get_secret("slack-webhook") == f"{ctx.settings.api_url}/demo/slack/news"


def test_no_demo_without_sample_flows(tmp_path):
    with app_client(tmp_path, seed_dir=None) as c:
        assert c.get("/api/labeling/projects").json() == []
        assert not (tmp_path / "demo-created").exists()


def test_the_inbox_secret_follows_the_port_but_a_real_slack_url_stays(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWORK_DEMO_NEWS_EVERY_S", "0")
    home = tmp_path / "home"
    with app_client(home, port=8401):
        pass
    with app_client(home, port=8402) as c:
        assert c.app.state.wirework.stores.get_secret("slack-webhook") == "http://127.0.0.1:8402/demo/slack/news"
        c.app.state.wirework.stores.set_secret("slack-webhook", "https://hooks.slack.com/services/T0/B0/x")
    with app_client(home, port=8403) as c:
        assert c.app.state.wirework.stores.get_secret("slack-webhook") == "https://hooks.slack.com/services/T0/B0/x"
