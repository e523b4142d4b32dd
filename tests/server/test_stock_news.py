"""The stock-news sentiment story end to end against a real `wirework up` (its own Prefect
server, so schedules really fire): demo site and inbox, the sample flow, and the
failure drills — a worker killed during enrichment, a restart, a flaky Slack, a
broken news site. One server for the module; tests run in file order and build on the
store's state, each measuring what changed.
"""

from __future__ import annotations

import glob
import os
import signal
import time
from datetime import datetime, timezone

import pytest
from werkzeug import Response

from tests.server_harness import ServerProcess, wait_for_run, wait_until

pytestmark = pytest.mark.slow

FLOW = "stock_news_sentiment"
STORE = "stock-news"
PROJECT = "stock-sentiment"
# A labeling function that holds the enrichment (in the worker, on scraped articles only:
# the training examples have no "url") while the drill's control server says "hold". The
# worker runs sandboxed (read-only files, a private /tmp, its own PID namespace), so it
# cannot write its pid anywhere the test reads: it names its thread instead, and the test
# finds that thread's process in /proc — exactly the process to kill mid-enrichment.
HOLD_LF = """def lf(record):
    import ctypes, time, urllib.request
    if "url" not in record:
        return None
    try:
        holding = urllib.request.urlopen("{hold_url}", timeout=5).read() == b"1"
    except OSError:
        return None
    if holding:
        ctypes.CDLL(None).prctl(15, b"{marker}", 0, 0, 0)  # PR_SET_NAME of this thread
        time.sleep(300)
    return None
"""
HELD_MARKER = "wwdrill-held"


def held_worker_pid() -> int | None:
    """The pid (as seen from here) of the process with a thread named HELD_MARKER."""
    for task_comm in glob.glob("/proc/[0-9]*/task/[0-9]*/comm"):
        try:
            if open(task_comm).read().strip() == HELD_MARKER:
                return int(task_comm.split("/")[2])
        except OSError:
            continue
    return None


@pytest.fixture(scope="module")
def news_server(tmp_path_factory):
    # No articles appear by the clock here: every new article is one the test published.
    proc = ServerProcess(tmp_path_factory.mktemp("stock-home"), prefect_api_url=None,
                         extra_env={"WIREWORK_DEMO_NEWS_EVERY_S": "0"}).start(timeout_s=180)
    with proc.client() as api:
        _set_schedule(api, "0 * * * *", enabled=False)  # no hourly run in the middle of a drill
    yield proc
    assert proc.stop() == 0


@pytest.fixture
def api(news_server):
    with news_server.client() as client:
        yield client


def _set_schedule(api, cron: str, enabled: bool) -> None:
    doc = api.get(f"/api/workflows/{FLOW}").json()
    doc["schedule"] = {**doc["schedule"], "cron": cron, "enabled": enabled}
    response = api.put(f"/api/workflows/{FLOW}", json=doc)
    assert response.status_code == 200, response.text


def run_flow(api, timeout_s: float = 180) -> dict:
    run_id = api.post(f"/api/workflows/{FLOW}/runs", json={}).json()["run_id"]
    return wait_for_run(api, run_id, timeout_s)


def node_of(run: dict, node_id: str) -> dict:
    return next(n for n in run["nodes"] if n["node_id"] == node_id)


def inbox(api) -> list[dict]:
    return api.get("/api/demo/inbox", params={"channel": "news", "limit": 1000}).json()["messages"]


def store_ids(api) -> list[str]:
    return [r["id"] for r in api.post(f"/api/stores/{STORE}/query", json={}).json()["records"]]


def site_paths(api) -> list[str]:
    return [a["path"] for a in api.get("/api/demo/news").json()["articles"]]


def publish(api, count: int) -> list[int]:
    return api.post("/demo/news/publish", json={"count": count}).json()["published"]


def caught_up(api) -> None:
    """Run until the incremental cursor has seen every published article."""
    run = run_flow(api)
    assert run["status"] == "completed", run


# -- the demo pieces ------------------------------------------------------------------------

def test_news_site_lists_articles_newest_first_with_pagination(api):
    first = api.get("/demo/news/")
    assert first.status_code == 200 and 'class="articles"' in first.text
    total = api.get("/api/demo/news").json()["total"]
    assert total >= 12  # the initial articles of a fresh site
    assert 'rel="next"' in first.text  # 10 per page
    numbers = [a["number"] for a in api.get("/api/demo/news").json()["articles"]]
    assert numbers == sorted(numbers, reverse=True)
    article = api.get(site_paths(api)[0])
    assert article.status_code == 200
    assert 'class="title"' in article.text and 'class="tickers"' in article.text and "article-body" in article.text
    assert api.get(site_paths(api)[0]).text == article.text  # generated deterministically
    assert api.get("/demo/news/articles/99999-nope").status_code == 404


def test_publish_adds_articles_on_demand(api):
    before = api.get("/api/demo/news").json()["total"]
    numbers = publish(api, 2)
    assert len(numbers) == 2 and api.get("/api/demo/news").json()["total"] == before + 2
    assert f'data-number="{numbers[-1]}"' in api.get("/demo/news/").text
    assert api.post("/demo/news/publish", json={"count": 0}).status_code == 422


def test_inbox_accepts_what_slack_accepts_and_refuses_the_rest(api):
    count = api.get("/api/demo/inbox", params={"channel": "drills"}).json()["total"]
    ok = api.post("/demo/slack/drills", json={"text": "hello *team*"})
    assert (ok.status_code, ok.text) == (200, "ok")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "from blocks"}}]
    assert api.post("/demo/slack/drills", json={"blocks": blocks}).text == "ok"
    assert (api.post("/demo/slack/drills", json={}).status_code, api.post("/demo/slack/drills", json={}).text) == (
        400, "no_text")
    assert api.post("/demo/slack/drills", content=b"not json").text == "invalid_payload"
    assert api.post("/demo/slack/Bad Channel!", json={"text": "x"}).status_code == 404
    listed = api.get("/api/demo/inbox", params={"channel": "drills"}).json()
    assert listed["total"] == count + 2
    assert [m["display_text"] for m in listed["messages"][:2]] == ["from blocks", "hello *team*"]
    page = api.get("/demo/inbox")
    assert page.status_code == 200 and "from blocks" in page.text and "hello *team*" in page.text


def test_first_start_created_the_demo_project_and_secret(api):
    project = api.get(f"/api/labeling/projects/{PROJECT}").json()
    assert project["store"] == "sentiment-examples" and project["records"] == 360
    labels = api.get(f"/api/labeling/projects/{PROJECT}/tasks/sentiment/labels").json()
    assert len(labels) == 360
    kinds = sorted(h["kind"] for h in api.get(f"/api/labeling/projects/{PROJECT}/tasks/sentiment/heuristics").json())
    assert kinds == ["active_learner", "lookup_list", "lookup_list", "lookup_list"]
    secret = next(s for s in api.get("/api/secrets").json() if s["name"] == "slack-webhook")
    assert "/demo/slack" not in str(secret)  # write-only; the story test shows it points at the inbox


# -- the story ---------------------------------------------------------------------------------

def test_the_flow_posts_counts_of_new_articles_and_nothing_when_none_are_new(api):
    messages = len(inbox(api))
    run = run_flow(api)
    assert run["status"] == "completed", run
    new = node_of(run, "new_articles")["records_out"]
    assert new == len(site_paths(api))  # the first run sees every article
    assert sorted(store_ids(api)) == sorted(site_paths(api))
    posted = inbox(api)
    assert len(posted) == messages + 1
    counted = {label: 0 for label in ("rather positive", "neutral", "rather negative")}
    enriched = api.get(f"/api/runs/{run['id']}/nodes/sentiment/output", params={"limit": 1000}).json()["records"]
    assert len(enriched) == new  # all of them kept in the run's sample (≤ 20): the counts are checkable
    for record in enriched:
        label = record["prediction"]["results"]["sentiment"]["prediction"]
        counted[label] = counted.get(label, 0) + 1
    assert posted[0]["text"].startswith(f"{new} new stock news articles: {counted['rather positive']} rather "
                                        f"positive, {counted['neutral']} neutral, {counted['rather negative']} "
                                        "rather negative")
    again = run_flow(api)
    assert again["status"] == "completed" and node_of(again, "new_articles")["records_out"] == 0
    assert len(inbox(api)) == messages + 1  # no new articles: no message


def test_drill_worker_killed_during_enrichment(api, httpserver):
    caught_up(api)
    hold = {"value": b"0"}
    httpserver.expect_request("/hold").respond_with_handler(lambda request: Response(hold["value"]))
    code = HOLD_LF.format(hold_url=httpserver.url_for("/hold"), marker=HELD_MARKER)
    heuristic = f"/api/labeling/projects/{PROJECT}/tasks/sentiment/heuristics/drill-hold"
    assert api.put(heuristic, json={"kind": "labeling_function", "config": {"code": code}}).status_code == 200
    try:
        numbers = publish(api, 3)
        fresh = {p for p in site_paths(api) if int(p.rsplit("/", 1)[1][:5]) in numbers}
        messages = len(inbox(api))
        hold["value"] = b"1"
        run_id = api.post(f"/api/workflows/{FLOW}/runs", json={}).json()["run_id"]
        pid = wait_until(held_worker_pid, 120, "the enrichment to reach the held labeling function")
        assert api.get(f"/api/runs/{run_id}").json()["status"] == "running"
        os.kill(pid, signal.SIGKILL)
        crashed = wait_for_run(api, run_id, 60)
        assert crashed["status"] == "crashed", crashed
        assert node_of(crashed, "sentiment")["status"] == "crashed"
        assert node_of(crashed, "slack")["status"] == "not_run"
        hold["value"] = b"0"

        rerun = run_flow(api)
        assert rerun["status"] == "completed", rerun
        # The cursor did not move for the crashed run: the same three articles, once.
        reread = api.get(f"/api/runs/{rerun['id']}/nodes/new_articles/output").json()["records"]
        assert {r["id"] for r in reread} == fresh
        assert len(inbox(api)) == messages + 1
        assert inbox(api)[0]["text"].startswith("3 new stock news articles")
        ids = store_ids(api)
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(site_paths(api))  # no duplicates, none lost
    finally:
        hold["value"] = b"0"
        api.delete(heuristic)


def test_drill_slack_answers_500_twice_then_200(api, httpserver):
    caught_up(api)
    calls: list[bytes] = []

    def flaky(request):
        calls.append(request.get_data())
        return Response("ok", 200) if len(calls) > 2 else Response("internal_error", 500)

    httpserver.expect_request("/services/T1/B2/flaky", method="POST").respond_with_handler(flaky)
    inbox_url = f"{api.base_url}".rstrip("/") + "/demo/slack/news"
    assert api.put("/api/secrets/slack-webhook", json={"value": httpserver.url_for("/services/T1/B2/flaky")}).status_code == 200
    try:
        messages = len(inbox(api))
        publish(api, 2)
        run = run_flow(api)
        assert run["status"] == "completed", run
        assert len(calls) == 3 and len(set(calls)) == 1  # the same message, delivered once (after two 500s)
        assert b"2 new stock news articles" in calls[-1]
        assert len(inbox(api)) == messages  # it went to the Slack stand-in, not the inbox
    finally:
        api.put("/api/secrets/slack-webhook", json={"value": inbox_url})


def test_drill_news_site_returns_garbage(api, news_server):
    caught_up(api)
    publish(api, 1)
    before = api.get(f"/api/stores/{STORE}").json()
    ids_before = sorted(store_ids(api))
    messages = len(inbox(api))
    assert api.post("/demo/news/fault", json={"mode": "garbage"}).status_code == 200
    try:
        run = run_flow(api)
    finally:
        api.post("/demo/news/fault", json={"mode": "none"})
    assert run["status"] == "failed"
    scrape = node_of(run, "scrape")
    assert scrape["status"] == "failed" and scrape["error"]["node"] == "scrape"
    assert f"{news_server.url}/demo/news/ has no article list" in scrape["error"]["message"]
    assert node_of(run, "save")["status"] == "not_run"
    assert "scrape" in run["error"]
    after = api.get(f"/api/stores/{STORE}").json()
    assert sorted(store_ids(api)) == ids_before and after["count"] == before["count"]
    assert len(inbox(api)) == messages
    # The site is back: the article published before the fault is picked up now.
    recovered = run_flow(api)
    assert recovered["status"] == "completed" and node_of(recovered, "new_articles")["records_out"] == 1


def test_drill_restart_keeps_history_and_the_schedule_fires(news_server, api):
    caught_up(api)
    history = {r["id"]: r["status"] for r in api.get("/api/runs", params={"workflow_id": FLOW, "limit": 1000}).json()}
    messages = inbox(api)
    stored = sorted(store_ids(api))
    _set_schedule(api, "* * * * *", enabled=True)
    wait_until(lambda: api.get(f"/api/workflows/{FLOW}/schedule").json()["deployment_id"], 30, "the deployment")
    assert news_server.stop() == 0
    restarted_at = datetime.now(timezone.utc)
    news_server.start(timeout_s=180)
    try:
        with news_server.client() as again:
            kept = {r["id"]: r["status"] for r in again.get("/api/runs", params={"workflow_id": FLOW,
                                                                               "limit": 1000}).json()}
            assert {k: kept[k] for k in history} == history  # every run and its status survived
            assert inbox(again) == messages and sorted(store_ids(again)) == stored
            publish(again, 2)
            # No run is started by hand from here on: whatever processes the two articles is the schedule.
            wait_until(lambda: any(m["text"].startswith("2 new stock news articles")
                                   for m in inbox(again)[:len(inbox(again)) - len(messages)]),
                       150, "the every-minute schedule to fire after the restart and post")

            def runs_since_restart():
                return [r for r in again.get("/api/runs", params={"workflow_id": FLOW, "limit": 50}).json()
                        if r["id"] not in history]

            # The message is posted before the run reports its end: wait for that too.
            wait_until(lambda: any(r["status"] == "completed" for r in runs_since_restart()), 60,
                       "the scheduled run to finish")
            after = runs_since_restart()
            assert all(r["trigger"]["trigger"] == "schedule" for r in after)
            assert all(datetime.fromisoformat(str(r["started_at"])) >= restarted_at for r in after)
            assert len(inbox(again)) == len(messages) + 1
    finally:
        with news_server.client() as again:
            _set_schedule(again, "0 * * * *", enabled=False)
