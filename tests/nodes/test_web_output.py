"""`webhook.post` and `slack.post` against real local HTTP servers: payload shapes,
batching, retries with Retry-After, 4xx failures, and secret URLs kept out of errors
and output records."""

from __future__ import annotations

import json
import socket
import time

import pytest
from werkzeug import Response

from nodes import NodeError
from stores import LocalStoreClient
from tests.web_helpers import run_node

TOKEN = "s3cr3tT0k3nXYZ"
SECRET_PATH = f"/services/T0001/B0002/{TOKEN}"


@pytest.fixture
def store_client(tmp_path):
    """The real in-process store client (encrypted secrets in a DuckDB file)."""
    client = LocalStoreClient(tmp_path / "data")
    yield client
    client.close()


def with_secrets(client: LocalStoreClient, **secrets: str) -> LocalStoreClient:
    for name, url in secrets.items():
        client.set_secret(name.replace("_", "-"), url, kind="webhook")
    return client


def bodies(httpserver, path: str) -> list:
    return [json.loads(req.get_data()) for req, _ in httpserver.log if req.path == path]


RECORDS = [
    {"id": "a1", "headline": "Acme shares soar", "tickers": ["ACME"], "text": "Acme up",
     "prediction": {"results": {"sentiment": {"prediction": "rather positive"}}}},
    {"id": "g2", "headline": "Globex misses", "tickers": ["GLBX"], "text": "Globex down",
     "prediction": {"results": {"sentiment": {"prediction": "rather negative"}}}},
]

FAST = {"max_retries": 3, "backoff_s": 0.01, "max_backoff_s": 0.05}


# -- webhook.post ------------------------------------------------------------------------

def test_webhook_posts_each_record_and_records_the_response(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"accepted": True}, status=201)
    out = run_node("webhook.post", {"url": httpserver.url_for("/hook"), **FAST}, [dict(r) for r in RECORDS])
    assert bodies(httpserver, "/hook") == RECORDS
    assert out[0]["id"] == "a1" and out[0]["response"] == {"status": 201, "body": {"accepted": True}}
    request = httpserver.log[0][0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("wirework/0.1")


def test_webhook_template_keeps_types_and_reaches_nested_fields(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    template = json.dumps({"title": "{headline}", "symbols": "{tickers}",
                           "summary": "{headline} is {prediction.results.sentiment.prediction}"})
    out = run_node("webhook.post", {"url": httpserver.url_for("/hook"), "body": "template", "template": template,
                                    **FAST}, [dict(RECORDS[0])])
    assert bodies(httpserver, "/hook") == [{"title": "Acme shares soar", "symbols": ["ACME"],
                                            "summary": "Acme shares soar is rather positive"}]
    assert out[0]["response"] == {"status": 200, "body": "ok"}


def test_webhook_per_batch_sends_one_request(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    out = run_node("webhook.post", {"url": httpserver.url_for("/hook"), "per": "batch", "body": "field",
                                    "field": "headline", **FAST}, [dict(r) for r in RECORDS])
    assert bodies(httpserver, "/hook") == [["Acme shares soar", "Globex misses"]]
    assert len(out) == 1 and out[0]["count"] == 2 and out[0]["record_ids"] == ["a1", "g2"]


def test_webhook_4xx_fails_with_the_response_body_and_no_retry(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data('{"error": "title is required"}',
                                                                       status=422)
    with pytest.raises(NodeError) as err:
        run_node("webhook.post", {"url": httpserver.url_for("/hook"), **FAST}, [dict(RECORDS[0])], node_id="notify")
    assert err.value.node_id == "notify" and err.value.record_id == "a1"
    assert "HTTP 422" in err.value.message and "title is required" in err.value.message
    assert len(httpserver.log) == 1


def test_webhook_retries_5xx_and_429_then_succeeds(httpserver):
    httpserver.expect_oneshot_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/hook").respond_with_data("slow down", status=429,
                                                                  headers={"Retry-After": "1"})
    httpserver.expect_request("/hook").respond_with_data("ok")
    started = time.monotonic()
    out = run_node("webhook.post", {"url": httpserver.url_for("/hook"), **FAST}, [dict(RECORDS[0])])
    assert [resp.status_code for _, resp in httpserver.log] == [503, 429, 200]
    assert time.monotonic() - started >= 0.9  # honoured Retry-After: 1
    assert out[0]["response"]["status"] == 200


def test_webhook_gives_up_after_its_retries(httpserver):
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    with pytest.raises(NodeError) as err:
        run_node("webhook.post", {"url": httpserver.url_for("/hook"), **{**FAST, "max_retries": 2}},
                 [dict(RECORDS[0])], node_id="notify")
    assert "after 3 attempts" in err.value.message and httpserver.url_for("/hook") in err.value.message
    assert len(httpserver.log) == 3


def test_webhook_read_timeout_is_not_retried(httpserver):
    def slow(request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    with pytest.raises(NodeError, match="timeout"):
        run_node("webhook.post", {"url": httpserver.url_for("/hook"), "timeout_s": 0.2, **FAST}, [dict(RECORDS[0])])
    time.sleep(0.9)  # let the server finish the slow answer before counting
    assert len(httpserver.log) == 1


def test_webhook_target_secret_is_masked_in_errors_and_output(httpserver, store_client):
    httpserver.expect_request(SECRET_PATH).respond_with_data(f"bad request to {SECRET_PATH}", status=400)
    secrets = with_secrets(store_client, ops_hook=httpserver.url_for(SECRET_PATH))
    with pytest.raises(NodeError) as err:
        run_node("webhook.post", {"target": "ops-hook", **FAST}, [dict(RECORDS[0])], store_client=secrets)
    assert TOKEN not in str(err.value) and '(secret "ops-hook")' in err.value.message
    assert "HTTP 400" in err.value.message

    httpserver.clear()
    httpserver.expect_request(SECRET_PATH).respond_with_json({"echo": httpserver.url_for(SECRET_PATH)})
    out = run_node("webhook.post", {"target": "ops-hook", **FAST}, [dict(RECORDS[0])], store_client=secrets)
    assert TOKEN not in json.dumps(out)


def test_webhook_authorization_comes_from_a_secret_and_stays_masked(httpserver, store_client):
    store_client.set_secret("ops-token", f"Bearer {TOKEN}")
    httpserver.expect_request("/hook", headers={"Authorization": f"Bearer {TOKEN}"}).respond_with_data(
        f"token {TOKEN} is read-only", status=403)
    with pytest.raises(NodeError) as err:
        run_node("webhook.post", {"url": httpserver.url_for("/hook"), "auth_secret": "ops-token", **FAST},
                 [dict(RECORDS[0])], store_client=store_client)
    assert "HTTP 403" in err.value.message and "is read-only" in err.value.message
    assert TOKEN not in str(err.value)


def test_webhook_missing_secret_says_how_to_fix_it(store_client):
    with pytest.raises(NodeError, match='secret "nope".*not defined'):
        run_node("webhook.post", {"target": "nope"}, [dict(RECORDS[0])], store_client=store_client)


def test_webhook_unreachable_secret_url_is_masked(store_client):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secrets = with_secrets(store_client, ops_hook=f"http://127.0.0.1:{port}{SECRET_PATH}")
    with pytest.raises(NodeError) as err:
        run_node("webhook.post", {"target": "ops-hook", **{**FAST, "max_retries": 1}}, [dict(RECORDS[0])],
                 store_client=secrets)
    assert "could not connect" in err.value.message and "after 2 attempts" in err.value.message
    assert TOKEN not in str(err.value)


# -- slack.post --------------------------------------------------------------------------

def test_slack_posts_the_text_field_as_slack_documents_it(httpserver, store_client):
    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_data("ok")
    secrets = with_secrets(store_client, slack_news=httpserver.url_for(SECRET_PATH))
    summary = {"id": "2026-11-23 08:00:00", "text": "3 positive, 1 neutral, 2 negative headlines"}
    out = run_node("slack.post", {"webhook_secret": "slack-news", **FAST}, [summary], store_client=secrets)
    assert bodies(httpserver, SECRET_PATH) == [{"text": "3 positive, 1 neutral, 2 negative headlines"}]
    assert httpserver.log[0][0].headers["Content-Type"].startswith("application/json")
    assert out == [{**summary, "slack": {"status": 200, "body": "ok"}}]


def test_slack_blocks_from_a_template(httpserver):
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    blocks = json.dumps([
        {"type": "header", "text": {"type": "plain_text", "text": "{headline}"}},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": "*Sentiment:* {prediction.results.sentiment.prediction}"}},
    ])
    run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), "blocks_template": blocks, **FAST},
             [dict(RECORDS[0])])
    assert bodies(httpserver, "/slack") == [{
        "text": "Acme up",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Acme shares soar"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Sentiment:* rather positive"}},
        ],
    }]


def test_slack_per_batch_joins_texts_and_splits_blocks_at_fifty(httpserver):
    httpserver.expect_request("/slack", method="POST").respond_with_data("ok")
    records = [{"id": str(i), "text": f"line {i}"} for i in range(3)]
    out = run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), "per": "batch", **FAST}, records)
    assert bodies(httpserver, "/slack") == [{"text": "line 0\nline 1\nline 2"}]
    assert len(out) == 1 and out[0]["count"] == 3

    httpserver.clear_log()
    many = [{"id": str(i), "title": f"t{i}"} for i in range(60)]
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "{title}"}}])
    out = run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), "per": "batch",
                                  "blocks_template": blocks, **FAST}, many)
    sent = bodies(httpserver, "/slack")
    assert [len(m["blocks"]) for m in sent] == [50, 10] and "text" not in sent[0]
    assert out[0]["slack"]["messages"] == 2


def test_slack_retries_rate_limits_and_server_errors(httpserver):
    httpserver.expect_oneshot_request("/slack").respond_with_data("rate_limited", status=429,
                                                                   headers={"Retry-After": "0"})
    httpserver.expect_oneshot_request("/slack").respond_with_data("internal_error", status=500)
    httpserver.expect_request("/slack").respond_with_data("ok")
    out = run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), **FAST}, [dict(RECORDS[0])])
    assert [resp.status_code for _, resp in httpserver.log] == [429, 500, 200]
    assert out[0]["slack"]["status"] == 200


def test_slack_gives_up_after_bounded_retries(httpserver):
    httpserver.expect_request("/slack").respond_with_data("internal_error", status=503)
    with pytest.raises(NodeError, match="HTTP 503"):
        run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), **{**FAST, "max_retries": 2}},
                 [dict(RECORDS[0])])
    assert len(httpserver.log) == 3


def test_slack_errors_show_the_body_but_never_the_webhook_url(httpserver, store_client):
    httpserver.expect_request(SECRET_PATH).respond_with_data("no_service", status=404)
    secrets = with_secrets(store_client, slack_news=httpserver.url_for(SECRET_PATH))
    with pytest.raises(NodeError) as err:
        run_node("slack.post", {"webhook_secret": "slack-news", **FAST}, [dict(RECORDS[0])], store_client=secrets,
                 node_id="tell-slack")
    assert "no_service" in err.value.message and "HTTP 404" in err.value.message
    assert TOKEN not in str(err.value) and err.value.node_id == "tell-slack"


def test_slack_record_without_text_fails_naming_the_record(httpserver):
    with pytest.raises(NodeError) as err:
        run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), **FAST}, [{"id": "r1", "title": "x"}])
    assert err.value.record_id == "r1" and 'no field "text"' in err.value.message


def test_slack_unreachable_webhook_fails_after_bounded_retries_without_the_url():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NodeError) as err:
        run_node("slack.post", {"webhook_url": f"http://127.0.0.1:{port}{SECRET_PATH}", **FAST},
                 [dict(RECORDS[0])])
    assert "posting to Slack at http://127.0.0.1" in err.value.message and "refused" in err.value.message
    assert TOKEN not in str(err.value)


# -- visible retries (issue 17 part 9) ---------------------------------------------------

def _node_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "wirework.node.web"]


def test_slack_logs_every_attempt_with_its_status_and_wait(httpserver, caplog):
    for _ in range(2):
        httpserver.expect_oneshot_request("/slack").respond_with_data("internal_error", status=500)
    httpserver.expect_request("/slack").respond_with_data("ok")
    with caplog.at_level("INFO", logger="wirework.node.web"):
        run_node("slack.post", {"webhook_url": httpserver.url_for("/slack"), **FAST}, [dict(RECORDS[0])])
    lines = [line for line in _node_log(caplog) if "attempt" in line]
    assert len(lines) == 3, lines
    assert "(attempt 1 of 4): HTTP 500; retrying in 0.0" in lines[0]
    assert "(attempt 2 of 4): HTTP 500; retrying in 0.0" in lines[1]
    assert lines[2].endswith("(attempt 3 of 4): HTTP 200")
    assert all(httpserver.url_for("/slack") not in line for line in lines)  # Slack URLs stay masked


def test_slack_hints_match_the_final_status(httpserver):
    httpserver.expect_request("/down").respond_with_data("internal_error", status=500)
    httpserver.expect_request("/gone").respond_with_data("no_service", status=404)
    httpserver.expect_request("/bad").respond_with_data("invalid_payload", status=400)
    config = {**FAST, "max_retries": 1}
    with pytest.raises(NodeError) as down:
        run_node("slack.post", {"webhook_url": httpserver.url_for("/down"), **config}, [dict(RECORDS[0])])
    assert "after 2 attempts" in down.value.message and "failed on its side (HTTP 500)" in down.value.message
    assert "revoked" not in down.value.message
    with pytest.raises(NodeError) as gone:
        run_node("slack.post", {"webhook_url": httpserver.url_for("/gone"), **config}, [dict(RECORDS[0])])
    assert "check the webhook URL" in gone.value.message and "failed on its side" not in gone.value.message
    with pytest.raises(NodeError) as bad:
        run_node("slack.post", {"webhook_url": httpserver.url_for("/bad"), **config}, [dict(RECORDS[0])])
    assert "check its format" in bad.value.message


def test_webhook_logs_every_attempt_and_hints_by_status(httpserver, caplog):
    httpserver.expect_oneshot_request("/hook").respond_with_data("busy", status=503)
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    with caplog.at_level("INFO", logger="wirework.node.web"):
        run_node("webhook.post", {"url": httpserver.url_for("/hook"), **FAST}, [dict(RECORDS[0])])
    lines = [line for line in _node_log(caplog) if "attempt" in line]
    assert len(lines) == 2, lines
    assert "(attempt 1 of 4): HTTP 503 SERVICE UNAVAILABLE; retrying in" in lines[0]
    assert lines[1].endswith("(attempt 2 of 4): HTTP 200 OK")
    httpserver.expect_request("/down").respond_with_data("boom", status=500)
    httpserver.expect_request("/secret").respond_with_data("who?", status=401)
    with pytest.raises(NodeError) as down:
        run_node("webhook.post", {"url": httpserver.url_for("/down"), **{**FAST, "max_retries": 1}},
                 [dict(RECORDS[0])])
    assert "after 2 attempts" in down.value.message and "failed on its side (HTTP 500)" in down.value.message
    with pytest.raises(NodeError) as refused:
        run_node("webhook.post", {"url": httpserver.url_for("/secret"), **FAST}, [dict(RECORDS[0])])
    assert "refused the credentials" in refused.value.message
