"""Secrets are masked everywhere, and a Python node reads only the secrets it declares.

Real components only: a LocalStoreClient (encrypted secrets in DuckDB) as the run's
store client, a local HTTP server that echoes every part of the URL it was called on,
the in-process executor on a real Prefect server, and the app database file queried
after the run. No part (6 characters or more) of a secret URL — path segments, query
values, userinfo, fragment, raw or percent-decoded — nor a secret value may show up in
a node's error, logs or sample, in the app database rows, or in Prefect's states/logs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from urllib.parse import unquote, unquote_plus, urlsplit

import duckdb
import pytest
from requests.utils import requote_uri
from werkzeug import Request, Response

from engine.execution.local_run import run_workflow
from nodes import NodeContext, NodeError
from nodes.python_nodes import PythonAggregate, PythonMap, PythonYield
from nodes.secret_values import MASK, SecretMask, mask_url, resolve_secret
from stores import LocalStoreClient
from tests.builders import code, node, workflow

API_KEY = "sk-live-4f3c2b1a0z9y8x7w"
# Long path token (with an escape requests normalises: %2D is sent as "-"), an encoded "/"
# and space in the last segment, a query token with an encoded space, userinfo, fragment.
HOOK_PATH = "/hooks/T0001/B0002/LongPathTok%2Den9f8e7d6c5b4a/last%2Fseg%20Q7w8e9r0"
HOOK_QUERY = "token=QueryTok%20en77&mode=full"
SLACK_PATH = "/services/T0001/B0002/SlackHookTok3nAbCdEf"
SLACK_QUERY = "sig=SlackSig%2B99zz"
FAST = {"max_retries": 1, "backoff_s": 0.01, "max_backoff_s": 0.05}


def secret_parts(url: str) -> set[str]:
    """What must never show: the URL and each of its parts of >= 6 characters, in raw,
    on-the-wire and percent-decoded forms (computed here independently of the mask)."""
    found = {url, unquote(url)}
    for variant in (url, requote_uri(url)):
        parts = urlsplit(variant)
        found |= {parts.path, unquote(parts.path), parts.query, unquote(parts.query)}
        pieces = parts.path.split("/") + unquote(parts.path).split("/")
        for pair in parts.query.split("&"):
            pieces += [pair, pair.partition("=")[2]]
        pieces += [parts.username or "", parts.password or "", parts.fragment]
        for piece in pieces:
            found |= {form for form in (piece, unquote(piece), unquote_plus(piece)) if len(form) >= 6}
    return {part for part in found if part}


def leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(part for part in secrets if part in text)


def echo(request: Request) -> Response:
    """A server that echoes every part of the URL it was called on, then refuses."""
    last = request.path.rsplit("/", 1)[-1]
    auth = request.authorization
    body = (f"cannot deliver to {request.url}; raw {request.environ.get('RAW_URI') or request.environ.get('REQUEST_URI')}; "
            f"path {request.path}; full {request.full_path}; last segment {last}; "
            f"token {request.args.get('token')}; sig {request.args.get('sig')}; query {request.query_string.decode()}; "
            f"user {auth.username if auth else None}; password {auth.password if auth else None}")
    if request.path.startswith("/ok/"):
        return Response(json.dumps({"echo": body}), content_type="application/json")
    return Response(body, status=500 if request.path.startswith("/hooks/") else 400)


@pytest.fixture
def store_client(tmp_path):
    client = LocalStoreClient(tmp_path / "data")
    yield client
    client.close()


def make_ctx(store_client=None, node_id: str = "n1") -> NodeContext:
    return NodeContext(workflow_id="wf", run_id="r1", node_id=node_id, logger=logging.getLogger(f"wirework.node.{node_id}"),
                       trigger={"id": "t"}, store_client=store_client)


# -- SecretMask -----------------------------------------------------------------------------

def test_every_part_of_a_secret_url_is_masked_raw_and_decoded():
    url = ("https://hookuser42:Pa55w0rd%21XYZ@hooks.example.com:8443" + HOOK_PATH + "?" + HOOK_QUERY
           + "#frag-ment-zz")
    mask = SecretMask()
    assert mask.add_url(url) == "https://hooks.example.com:8443/***" == mask_url(url)
    parts = secret_parts(url)
    assert {"LongPathTok%2Den9f8e7d6c5b4a", "LongPathTok-en9f8e7d6c5b4a", "last%2Fseg%20Q7w8e9r0", "seg Q7w8e9r0",
            "QueryTok%20en77", "QueryTok en77", "hookuser42", "Pa55w0rd!XYZ", "frag-ment-zz"} <= parts
    for part in parts:  # each part echoed alone, in a sentence
        masked = mask.text(f"the server said: {part} was refused")
        assert leaks(masked, parts) == [], part
        assert masked.startswith("the server said: ") and masked.endswith(" was refused")
    shown = mask.text(f"POST {url} failed")
    assert shown == "POST https://hooks.example.com:8443/*** failed"  # scheme and host stay visible
    assert mask.text(f'"POST {requote_uri(HOOK_PATH)}?{HOOK_QUERY} HTTP/1.1" 500') == '"POST /*** HTTP/1.1" 500'
    # requests sends the userinfo as a Basic credential: its base64 is masked too.
    import base64
    basic = base64.b64encode(b"hookuser42:Pa55w0rd!XYZ").decode()
    assert mask.text(f"Authorization: Basic {basic}") == f"Authorization: Basic {MASK}"


def test_short_parts_stay_and_values_are_masked_whole_and_as_bearer_tokens():
    mask = SecretMask()
    mask.add_url("https://example.com/a/b1/tok3n-abcdef?x=1")
    assert mask.text("a b1 x=1 tok3n-abcdef") == f"a b1 x=1 {MASK}"
    mask.add_value("Bearer abcdefgh12345678")
    assert mask.text("auth Bearer abcdefgh12345678 / abcdefgh12345678") == f"auth {MASK} / {MASK}"
    assert mask.value({"k": ["tok3n-abcdef", 3]}) == {"k": [MASK, 3]}


def test_an_empty_mask_costs_nothing_and_returns_its_input():
    ctx = make_ctx()
    assert not ctx.mask and isinstance(ctx.mask, SecretMask)
    records = [{"id": str(i)} for i in range(3)]
    assert ctx.mask.value(records) is records
    assert make_ctx().mask is not ctx.mask  # one mask per context unless the engine shares one


def test_a_mask_shared_by_two_nodes_stays_on_for_third_party_loggers_until_both_leave(caplog):
    from nodes.secret_values import masked_loggers

    mask = SecretMask()
    mask.add_url("http://127.0.0.1:9/services/T1/B2/SharedTok3n77")
    logger = logging.getLogger("urllib3.connectionpool")
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    with masked_loggers(mask, ["urllib3.connectionpool"]):
        with masked_loggers(mask, ["urllib3.connectionpool"]):
            pass  # one node of the run is done ...
        logger.debug('"POST %s HTTP/1.1" 200', "/services/T1/B2/SharedTok3n77")  # ... the other still posts
    assert '"POST /*** HTTP/1.1" 200' in caplog.text and "SharedTok3n77" not in caplog.text


def test_resolve_secret_registers_every_value_in_the_node_mask(store_client):
    store_client.set_secret("hook", "https://hooks.example.com/services/T1/B2/WebhookTok3n99", kind="webhook")
    store_client.set_secret("api-key", API_KEY)
    ctx = make_ctx(store_client)
    url = resolve_secret(ctx, "hook", node_id="n1", purpose="the test URL")
    value = resolve_secret(ctx, "api-key", node_id="n1", purpose="the test key")
    assert url.endswith("WebhookTok3n99") and value == API_KEY
    text = ctx.mask.text(f"{url} {value} WebhookTok3n99 /services/T1/B2/WebhookTok3n99")
    assert text == f"https://hooks.example.com/*** {MASK} {MASK} /{MASK}"


# -- secrets in Python nodes (called directly, real store client) -----------------------------

def python(node_type, source: str, secrets: list[str] | None = None, node_id: str = "n1"):
    return node_type(node_type.Config(code=code(source), secrets=secrets or []), node_id=node_id)


def test_python_map_reads_its_declared_secrets_as_a_read_only_mapping(store_client):
    store_client.set_secret("api-key", API_KEY)
    store_client.set_secret("region", "eu-central-1")
    node = python(PythonMap, """
        PREFIX = secrets["region"]  # module level works too

        def node(record: dict) -> dict:
            record["auth"] = secrets["api-key"]
            record["region"] = PREFIX
            record["names"] = sorted(secrets)
            record["shown"] = repr(secrets)
            try:
                secrets["api-key"] = "x"
            except TypeError:
                record["read_only"] = True
            return record
    """, ["api-key", "region"])
    ctx = make_ctx(store_client)
    [out] = node.run(ctx, [{"id": "r1"}])
    assert out["auth"] == API_KEY and out["region"] == "eu-central-1"  # records are not masked
    assert out["names"] == ["api-key", "region"] and out["read_only"] is True
    assert API_KEY not in out["shown"]
    assert ctx.mask.text(API_KEY) == MASK  # registered for the engine's masking


def test_python_yield_and_aggregate_read_secrets_too(store_client):
    store_client.set_secret("api-key", API_KEY)
    yielder = python(PythonYield, """
        def node(record: dict):
            for i in range(2):
                yield {"id": str(i), "k": secrets["api-key"][:7]}
    """, ["api-key"])
    assert [r["k"] for r in yielder.run(make_ctx(store_client), [{"id": "t"}])] == ["sk-live", "sk-live"]
    aggregate = python(PythonAggregate, """
        def node(records: list[dict]) -> dict:
            return {"id": "a", "n": len(records), "k": len(secrets["api-key"])}
    """, ["api-key"])
    assert aggregate.run(make_ctx(store_client), [{"id": "1"}, {"id": "2"}]) == [{"id": "a", "n": 2, "k": len(API_KEY)}]


def test_undeclared_secrets_cannot_be_read_and_the_error_says_how_to_declare_them(store_client):
    store_client.set_secret("api-key", API_KEY)
    nosy = python(PythonMap, """
        def node(record: dict) -> dict:
            record["k"] = secrets["api-key"]
            return record
    """, node_id="nosy")
    with pytest.raises(NodeError) as err:
        nosy.run(make_ctx(store_client, "nosy"), [{"id": "r1"}])
    assert err.value.exception_type == "KeyError" and err.value.user_line == 2 and err.value.record_id == "r1"
    assert 'add "api-key" to the Secrets field of this node' in err.value.message
    assert API_KEY not in str(err.value)

    empty = python(PythonMap, "def node(record):\n    return {'id': 'x', 'n': len(secrets), 'has': 'api-key' in secrets}\n")
    assert empty.run(make_ctx(store_client), [{"id": "r1"}]) == [{"id": "x", "n": 0, "has": False}]

    other = python(PythonMap, "def node(record):\n    return {'id': 'x', 'v': secrets['region']}\n", ["api-key"])
    with pytest.raises(NodeError, match=r'the secret "region" is not declared.*\(declared: "api-key"\)'):
        other.run(make_ctx(store_client), [{"id": "r1"}])


def test_a_declared_secret_that_is_not_defined_fails_before_the_code_runs(store_client):
    node = python(PythonMap, "def node(record):\n    print('ran')\n    return record\n", ["missing-key"])
    with pytest.raises(NodeError, match=r'the secret "missing-key" .*is not defined; add it on the Secrets page'):
        node.run(make_ctx(store_client), [{"id": "r1"}])


def test_kern_style_code_runs_unmodified_including_its_own_import_of_secrets(store_client):
    kern = python(PythonMap, """
        import secrets

        def node(record: dict) -> dict:
            from datetime import datetime
            record["token"] = secrets.token_hex(4)
            record["day"] = str(datetime.today().date())
            return record
    """)
    [out] = kern.run(make_ctx(), [{"id": "r1"}])  # no store client needed without declared secrets
    assert len(out["token"]) == 8 and out["day"]


# -- a whole run: error, logs, sample, app database, Prefect ------------------------------------

RAISER = """
def node(record: dict) -> dict:
    print("using key", secrets["api-key"])
    raise ValueError(secrets["api-key"])
"""
LEAKY = """
def node(record: dict) -> dict:
    print("key is", secrets["api-key"])
    return {"id": "leak", "key": secrets["api-key"], "nested": {"list": [secrets["api-key"]]}}
"""
DOWNSTREAM = """
def node(record: dict) -> dict:
    import hashlib
    print("got", record["key"])  # passed on in the record: masked here too
    return {"id": record["id"], "sha": hashlib.sha256(record["key"].encode()).hexdigest(), "copy": record["key"]}
"""
NOSY = """
def node(record: dict) -> dict:
    return {"id": "nosy", "k": secrets["api-key"]}
"""


def masking_workflow():
    return workflow([
        node("hook", "webhook.post", config={"target": "ops-hook", **FAST}),
        node("hook-ok", "webhook.post", config={"target": "ok-hook", **FAST}),
        node("slack", "slack.post", config={"webhook_secret": "slack-news", "text_template": "run {id}", **FAST}),
        node("slack-userinfo", "slack.post", config={"webhook_secret": "slack-auth", "text_template": "run {id}",
                                                      **FAST}),
        node("raiser", "python.map", config={"code": RAISER, "secrets": ["api-key"]}),
        node("leaky", "python.map", config={"code": LEAKY, "secrets": ["api-key"]}),
        node("downstream", "python.map", config={"code": DOWNSTREAM}),
        node("nosy", "python.map", config={"code": NOSY}),
    ], [("leaky", "downstream")], wf_id="masking")


def app_db_rows(path) -> str:
    """Every row of every table in the app database file, as text."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        assert {"runs", "node_runs"} <= set(tables)
        return json.dumps({table: con.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}, default=str)
    finally:
        con.close()


def prefect_texts(flow_run_id: str) -> tuple[list[str], list[str]]:
    """The state messages of the flow run and its task runs, and the run's Prefect logs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        states = [str(flow_run.state.message)] + [str(t.state.message) for t in tasks if t.state]
        deadline = time.monotonic() + 10
        while True:  # log shipping is batched in the background
            logs = [log.message for log in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))]
            if any("raiser" in message for message in logs) or time.monotonic() > deadline:
                return states, logs
            time.sleep(0.2)


@pytest.mark.usefixtures("prefect_api_url")
def test_no_part_of_a_secret_survives_a_run(httpserver, app_db, store_client, caplog, monkeypatch):
    httpserver.expect_request(re.compile(r"^/.*"), method="POST").respond_with_handler(echo)
    host = f"127.0.0.1:{httpserver.port}"
    urls = {
        "ops-hook": f"http://hookuser42:Pa55w0rd%21XYZ@{host}{HOOK_PATH}?{HOOK_QUERY}#frag-ment-zz",
        "ok-hook": f"http://okuser77:OkPa55word%40Q@{host}/ok/OkPathTok3n55aa?token=OkQueryTok99",
        "slack-news": f"http://{host}{SLACK_PATH}?{SLACK_QUERY}",  # reaches the echo server
        "slack-auth": f"http://slackuser9:SlackPa55w0rd@{host}/services/T9/B9/AnotherTok3nXyZ12?sig=Sig2ValueQQ",
    }
    for name, url in urls.items():
        store_client.set_secret(name, url, kind="webhook")
    store_client.set_secret("api-key", API_KEY)
    secrets = set().union(*(secret_parts(url) for url in urls.values())) | {API_KEY}
    caplog.set_level(logging.DEBUG)  # urllib3 and slack_sdk log what they would; the masks must hold
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", True)  # the far side's access log

    summary = run_workflow(masking_workflow(), app_db=app_db, store_client=store_client)

    assert summary.status == "failed"
    results = summary.nodes
    # The servers did echo every part back, and the nodes failed for the right reasons.
    assert sum(1 for req, _ in httpserver.log if req.path.startswith("/hooks/")) == 2
    assert any(req.path.startswith("/services/T0001") for req, _ in httpserver.log)
    assert "HTTP 500" in results["hook"].error["message"] and "last segment ***" in results["hook"].error["message"]
    assert "password ***" in results["hook"].error["message"] and "(attempt 1 of" in results["hook"].logs
    assert "http://127.0.0.1" in results["hook"].error["message"]  # scheme and host stay visible
    assert "HTTP 400" in results["slack"].error["message"] and "sig ***" in results["slack"].error["message"]
    assert results["slack-userinfo"].status == "failed"
    assert results["hook-ok"].status == "completed" and "echo" in results["hook-ok"].sample[0]["response"]["body"]

    raiser = results["raiser"]
    assert raiser.error["type"] == "ValueError" and raiser.error["message"] == f"ValueError: {MASK}"
    assert raiser.error["line"] == 4 and raiser.logs.strip() == f"using key {MASK}"
    assert results["leaky"].sample == [{"id": "leak", "key": MASK, "nested": {"list": [MASK]}}]
    assert results["leaky"].logs.strip() == f"key is {MASK}"
    # Records themselves are not masked: the downstream node got the real value ...
    assert results["downstream"].sample[0]["sha"] == hashlib.sha256(API_KEY.encode()).hexdigest()
    # ... and what it leaves behind is masked although it declared no secret itself.
    assert results["downstream"].sample[0]["copy"] == MASK and results["downstream"].logs.strip() == f"got {MASK}"
    nosy = results["nosy"]
    assert nosy.error["type"] == "KeyError" and 'add "api-key" to the Secrets field' in nosy.error["message"]

    node_texts = json.dumps({nid: {"error": r.error, "logs": r.logs, "sample": r.sample} for nid, r in results.items()},
                            default=str)
    assert leaks(node_texts, secrets) == []
    assert leaks(json.dumps(app_db.get_run(summary.run_id), default=str), secrets) == []
    flow_run_id = app_db.get_run(summary.run_id)["prefect_flow_run_id"]
    app_db.close()  # then read the file itself
    assert leaks(app_db_rows(app_db.path), secrets) == []

    states, logs = prefect_texts(flow_run_id)
    assert any("ValueError: ***" in state for state in states)  # the masked error is what Prefect keeps
    assert leaks("\n".join(states), secrets) == [] and leaks("\n".join(logs), secrets) == []
    assert [line for line in caplog.text.splitlines() if leaks(line, secrets)] == []
