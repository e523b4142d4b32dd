"""The small pieces the web nodes share: Retry-After parsing, backoff bounds, templates,
secret masking."""

from __future__ import annotations

import email.utils
import json
import logging
import time

import pytest

from nodes.http_retry import RetryPolicy, parse_retry_after
from nodes.payload_template import TemplateError, parse_template, placeholders, render
from nodes.secret_values import SecretMask, mask_url, masked_loggers


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= parse_retry_after(in_ten) <= 10
    assert parse_retry_after(email.utils.formatdate(time.time() - 60, usegmt=True)) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_doubles_with_jitter_and_is_capped():
    policy = RetryPolicy(backoff_s=1.0, max_backoff_s=5.0)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 5.0), (8, 5.0)]:
        delays = [policy.backoff(retry) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered, so clients spread out


def test_templates_fill_placeholders_keeping_types():
    template = parse_template(json.dumps({
        "title": "{headline}", "tickers": "{tickers}", "label": "{prediction.results.sentiment.prediction}",
        "line": "{headline} ({tickers.0}) {{literal}}", "fixed": 3, "{kind}": True,
    }))
    record = {"headline": "Acme soars", "tickers": ["ACME"], "kind": "news",
              "prediction": {"results": {"sentiment": {"prediction": "rather positive"}}}}
    assert render(template, record) == {
        "title": "Acme soars", "tickers": ["ACME"], "label": "rather positive",
        "line": "Acme soars (ACME) {literal}", "fixed": 3, "news": True,
    }
    assert placeholders(template) == {"headline", "tickers", "prediction.results.sentiment.prediction",
                                      "tickers.0", "kind"}


def test_a_missing_field_is_an_error_not_an_empty_string():
    with pytest.raises(TemplateError, match='no field "prediction.results".*available here: id, title'):
        render("{prediction.results}", {"id": "1", "title": "x"})


def test_a_broken_template_names_line_and_column():
    with pytest.raises(TemplateError, match="line 1, column"):
        parse_template('{"text": "{title}"')


def test_secret_urls_are_masked_down_to_scheme_and_host():
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET?x=1"
    assert mask_url(url) == "https://hooks.slack.com/***"
    mask = SecretMask()
    shown = mask.add_url(url)
    assert mask.text(f"POST {url} failed") == f"POST {shown} failed"
    assert mask.text('"POST /services/T000/B000/XXXXSECRET?x=1 HTTP/1.1" 500') == '"POST /*** HTTP/1.1" 500'
    assert mask.value({"body": [f"echo {url}"], "n": 1}) == {"body": [f"echo {shown}"], "n": 1}


def test_masked_loggers_rewrite_third_party_records_only_while_active(caplog):
    mask = SecretMask()
    mask.add_value("Bearer abcdefgh1234")
    logger = logging.getLogger("thirdparty.client")
    caplog.set_level(logging.DEBUG)
    with masked_loggers(mask, ["thirdparty.client"]):
        logger.debug("sending header %s", "Bearer abcdefgh1234")
        logger.debug("server said token abcdefgh1234 is bad")
    logger.debug("outside: abcdefgh1234")
    assert [r.getMessage() for r in caplog.records] == [
        "sending header ***", "server said token *** is bad", "outside: abcdefgh1234",
    ]
