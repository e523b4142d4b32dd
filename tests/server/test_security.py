"""The security model against a real `wirework up` with its own Prefect server:
no web page can drive wirework, Prefect's port refuses strangers, and code in a run
reaches only the secrets its workflow names (tried as an attacker would, over HTTP)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest

from tests.server_harness import ServerProcess, wait_for_run, wait_until

pytestmark = pytest.mark.slow

EVIL = "http://evil.example"
MAP = "def node(record):\n    return record\n"


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """`wirework up` as `make run` starts it: its own Prefect server, with auth."""
    proc = ServerProcess(tmp_path_factory.mktemp("secured-home"), prefect_api_url=None,
                         extra_env={"WIREWORK_DEMO_NEWS_EVERY_S": "0"}).start(timeout_s=180)
    yield proc
    proc.stop()


@pytest.fixture
def api(secured):
    with secured.client() as client:
        yield client


def doc(prefix="sec", code=MAP, **extra):
    return {"id": f"{prefix}-{uuid.uuid4().hex[:8]}", "name": "t",
            "nodes": [{"id": "a", "type": "python.map", "config": {"code": code}}], "edges": [], **extra}


def run_count(api) -> int:
    return len(api.get("/api/runs", params={"limit": 1000}).json())


# -- the API token ---------------------------------------------------------------------------
def test_the_token_file_is_private_and_every_api_route_but_health_needs_it(secured, api):
    token_file = secured.home / "api-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert secured.home.stat().st_mode & 0o077 == 0  # the data folder: owner only
    with secured.anonymous_client() as anon:
        assert anon.get("/api/health").status_code == 200
        for method, path in [("GET", "/api/workflows"), ("GET", "/api/secrets"), ("GET", "/api/stores"),
                             ("POST", "/api/workflows/hello/runs"), ("GET", "/api/runs")]:
            response = anon.request(method, path, json={} if method == "POST" else None)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"] == "unauthorized" and "wirework token" in response.json()["detail"]
        wrong = anon.get("/api/workflows", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
    assert api.get("/api/workflows").status_code == 200


def test_wirework_token_prints_the_token(secured):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "engine.cli", "token"], capture_output=True, text=True,
                         env={"WIREWORK_HOME": str(secured.home), "PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout.strip() == secured.token


def test_the_printed_url_signs_the_editor_in_with_an_httponly_strict_cookie(secured):
    assert f"/?token={secured.token}" in secured.log()
    with secured.anonymous_client() as browser:
        wrong = browser.get("/?token=guess")
        assert wrong.status_code == 303 and "set-cookie" not in wrong.headers
        signed_in = browser.get(f"/?token={secured.token}")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and secured.token not in cookie
        assert browser.get("/api/workflows").status_code == 200  # the cookie alone now authenticates
        assert browser.post("/api/workflows", json=doc()).status_code == 201


# -- what a web page can send ----------------------------------------------------------------
def test_simple_cross_origin_requests_are_refused_and_change_nothing(secured, api):
    before = run_count(api)
    workflows_before = len(api.get("/api/workflows").json())
    with secured.anonymous_client() as page:
        # What a <form> or a no-preflight fetch from another site can send.
        text_plain = page.post("/api/workflows/hello/runs", content=b"{}", headers={"Content-Type": "text/plain"})
        assert text_plain.status_code in (401, 403, 415)
        with_origin = page.post("/api/workflows/hello/runs", content=b"{}",
                                headers={"Content-Type": "text/plain", "Origin": EVIL})
        assert with_origin.status_code == 403 and with_origin.json()["error"] == "forbidden_origin"
        form = page.post("/api/stores/evil/upload", files={"file": ("x.csv", b"id,a\n1,2\n")},
                         headers={"Origin": EVIL})
        assert form.status_code == 403
    # Even with the token, a foreign Origin or a non-JSON body is refused.
    assert api.post("/api/workflows", json=doc(), headers={"Origin": EVIL}).status_code == 403
    assert api.post("/api/workflows", json=doc(), headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    plain = api.post("/api/workflows", content=json.dumps(doc()).encode(), headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["error"] == "unsupported_media_type"
    assert api.post("/api/workflows/hello/runs", content=b"{}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 415
    # The server's own origin is fine (the editor's requests).
    assert api.post("/api/workflows", json=doc(), headers={"Origin": secured.url}).status_code == 201
    assert run_count(api) == before
    assert len(api.get("/api/workflows").json()) == workflows_before + 1
    assert "evil" not in [s["name"] for s in api.get("/api/stores").json()]


@pytest.mark.parametrize("path", ["/api/workflows", "/", "/hooks/hello/x", "/api/health", "/demo/news/"])
def test_a_foreign_host_header_is_refused_on_every_route(secured, path):
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, the browser sends its Host.
    with secured.client() as client:
        response = client.get(path, headers={"Host": "evil.example:%d" % secured.port})
        assert response.status_code == 403 and response.json()["error"] == "forbidden_host"
        created = client.post("/api/workflows", json=doc(), headers={"Host": "rebind.evil.example"})
        assert created.status_code == 403


def test_localhost_names_are_accepted(secured):
    with secured.client() as client:
        for host in ("localhost", "127.0.0.1", "[::1]"):
            assert client.get("/api/workflows", headers={"Host": f"{host}:{secured.port}"}).status_code == 200


# -- Prefect's port ----------------------------------------------------------------------------
def prefect_url(server: ServerProcess) -> str:
    match = re.search(r"starting the Prefect server on 127\.0\.0\.1:(\d+)", server.log())
    assert match, server.log()
    return f"http://127.0.0.1:{match.group(1)}/api"


def prefect_auth_string(server: ServerProcess) -> str:
    """Read from the Prefect server's environment: the test is the same OS user (another
    user cannot read /proc/<pid>/environ), standing in for code that obtained it."""
    port = prefect_url(server).rsplit(":", 1)[1].split("/")[0]
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if (b"server" in cmdline or b"engine.cli.prefect_server" in cmdline) and port.encode() in cmdline:
                for entry in (proc / "environ").read_bytes().split(b"\0"):
                    if entry.startswith(b"PREFECT_SERVER_API_AUTH_STRING="):
                        return entry.split(b"=", 1)[1].decode()
        except OSError:
            continue
    raise AssertionError("the Prefect server's process was not found")


def test_prefect_refuses_unauthenticated_calls_and_cross_origin_pages(secured):
    url = prefect_url(secured)
    assert httpx.get(f"{url}/health").status_code == 200
    assert httpx.get(f"{url}/admin/settings").status_code == 401  # Prefect's settings, its DB URL included
    # State changes: refused by CSRF protection (403) or auth (401), whichever Prefect checks first.
    assert httpx.post(f"{url}/deployments/filter", json={}).status_code in (401, 403)
    assert httpx.post(f"{url}/flow_runs/filter", json={}, headers={"Origin": EVIL}).status_code in (401, 403)
    with_csrf = httpx.get(f"{url}/csrf-token", params={"client": "page"})
    assert with_csrf.status_code == 401  # nor can a page fetch a CSRF token without the auth string
    preflight = httpx.options(f"{url}/deployments/filter", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.headers.get("access-control-allow-origin") not in ("*", EVIL)


def test_a_flow_run_with_an_injected_workflow_is_refused(secured, api):
    from prefect.client.orchestration import SyncPrefectClient

    scheduled = doc("sched", schedule={"cron": "0 0 1 1 *", "timezone": "UTC", "enabled": True})
    assert api.post("/api/workflows", json=scheduled).status_code == 201
    deployment = wait_until(lambda: api.get(f"/api/workflows/{scheduled['id']}/schedule").json()["deployment_id"],
                            60, "the deployment")
    injected = doc("injected", code="def node(record):\n    open('/tmp/pwned', 'w')\n    return record\n")
    with SyncPrefectClient(prefect_url(secured), auth_string=prefect_auth_string(secured)) as client:
        flow_run = client.create_flow_run_from_deployment(
            uuid.UUID(deployment), parameters={"workflow_id": scheduled["id"], "workflow": injected})
        state = wait_until(lambda: (s := client.read_flow_run(flow_run.id).state) and s.is_final() and s, 30,
                           "the injected flow run to be refused")
    assert state.is_failed() and "refused by wirework" in (state.message or "")
    runs = api.get("/api/runs", params={"workflow_id": scheduled["id"]}).json()
    assert all(r.get("prefect_flow_run_id") != str(flow_run.id) for r in runs)


# -- code in a run -----------------------------------------------------------------------------
SPY = '''
def node(record):
    import gc, json, os, urllib.error, urllib.request
    import httpx
    report = {"env": dict(os.environ), "files": {}, "calls": {}, "tokens": []}
    home = os.environ.get("WIREWORK_HOME", "")
    for root, dirs, names in os.walk(home):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as handle:
                    report["files"][path] = handle.read(64).hex()
            except OSError as exc:
                report["files"][path] = repr(exc)
    tokens = {None}
    for obj in gc.get_objects():
        if isinstance(obj, httpx.Client):
            tokens.add(obj.headers.get("authorization"))
    report["tokens"] = sorted(t for t in tokens if t)
    api = os.environ.get("WIREWORK_API_URL", "")
    for token in tokens:
        for path in ("/api/internal/secrets/theirs", "/api/internal/secrets/mine", "/api/secrets",
                     "/api/workflows", "/api/internal/workflows/hello"):
            headers = {"Authorization": token} if token else {}
            try:
                response = httpx.get(api + path, headers=headers, timeout=10)
                report["calls"][f"{token} {path}"] = [response.status_code, response.text[:300]]
            except Exception as exc:
                report["calls"][f"{token} {path}"] = [0, repr(exc)]
    return {"id": "spy", "mine_ok": secrets["mine"] == "MINE-value-0123456789",
            "report": json.dumps(report)}
'''


def test_a_spy_in_a_run_obtains_nothing_but_its_own_declared_secret(secured, api):
    assert api.put("/api/secrets/mine", json={"value": "MINE-value-0123456789"}).status_code in (200, 204)
    assert api.put("/api/secrets/theirs", json={"value": "THEIRS-value-9876543210"}).status_code in (200, 204)
    spy = doc("spy", code=SPY)
    spy["nodes"][0]["config"]["secrets"] = ["mine"]
    assert api.post("/api/workflows", json=spy).status_code == 201
    run = wait_for_run(api, api.post(f"/api/workflows/{spy['id']}/runs", json={}).json()["run_id"], 120)
    assert run["status"] == "completed", run
    sample = api.get(f"/api/runs/{run['id']}/nodes/a/output").json()["records"][0]
    assert sample["mine_ok"] is True  # the declared secret reached the code
    report = json.loads(sample["report"])
    text = sample["report"]

    assert "THEIRS-value-9876543210" not in text  # another workflow's secret: never
    assert secured.token not in text  # the user's API token: never
    key = (secured.home / "secrets.key").read_bytes()
    assert key[:32].hex() not in text and key.decode(errors="ignore")[:20] not in text
    assert not {"WIREWORK_API_TOKEN", "WIREWORK_INTERNAL_TOKEN"} & set(report["env"])
    # The data folder (keys, databases, the token) is not even visible inside the sandbox.
    assert report["files"] == {}, sorted(report["files"])[:5]

    # The run's own token: its own secret and nothing else, and only while the run lasts.
    run_tokens = [t for t in report["tokens"] if t.startswith("Bearer run-")]
    assert run_tokens, report["tokens"]
    calls = report["calls"]
    token = run_tokens[0]
    assert calls[f"{token} /api/internal/secrets/theirs"][0] == 403
    assert calls[f"{token} /api/internal/secrets/mine"][0] == 200
    assert "MINE-value-0123456789" not in text  # even there the sample is masked
    for path in ("/api/secrets", "/api/workflows", "/api/internal/workflows/hello"):
        assert calls[f"{token} {path}"][0] == 403, path
    assert calls["None /api/internal/secrets/theirs"][0] == 401
    with secured.anonymous_client() as late:
        expired = late.get("/api/internal/secrets/mine", headers={"Authorization": token})
        assert expired.status_code == 401  # revoked when the run's worker ended


def test_a_python_node_cannot_read_a_secret_it_did_not_declare(api):
    assert api.put("/api/secrets/undeclared", json={"value": "UNDECLARED-value-555"}).status_code in (200, 204)
    code = "def node(record):\n    return {'id': 'x', 'v': secrets['undeclared']}\n"
    flow = doc("undeclared", code=code)
    api.post("/api/workflows", json=flow)
    run = wait_for_run(api, api.post(f"/api/workflows/{flow['id']}/runs", json={}).json()["run_id"], 120)
    assert run["status"] == "failed"
    error = run["nodes"][0]["error"]
    assert "undeclared" in error["message"] and "UNDECLARED-value-555" not in json.dumps(run)


# -- a server that echoes the secret URL back ------------------------------------------------
SECRET_PARTS = ("PASSWORDpart123", "PATHTOKEN12345", "tail6789", "QUERYVAL98765", "ünïcode-tail")


def echo_handler(request):
    from urllib.parse import unquote

    from werkzeug import Response

    body = (f"no such hook: {request.full_path} (last segment {request.path.rsplit('/', 1)[-1]}, "
            f"key={request.args.get('key')}, raw {unquote(request.full_path)}, auth {request.authorization})")
    return Response(body, status=400)


def test_an_echoing_server_leaks_no_part_of_a_secret_url_anywhere(prefect_api_url, tmp_path, httpserver):
    import duckdb

    httpserver.expect_request(re.compile("/hooks/.*")).respond_with_handler(echo_handler)
    secret_url = httpserver.url_for("/hooks/PATHTOKEN12345/tail6789/%C3%BCn%C3%AFcode-tail?key=QUERYVAL98765&x=1")
    secret_url = secret_url.replace("http://", "http://user:PASSWORDpart123@")
    server = ServerProcess(tmp_path / "home", prefect_api_url, flows=None).start()
    try:
        with server.client() as api:
            api.put("/api/secrets/echo-hook", json={"value": secret_url, "kind": "webhook"}).raise_for_status()
            flow = {"id": "leaky", "name": "leaky", "edges": [],
                    "nodes": [{"id": "post", "type": "webhook.post",
                               "config": {"target": "echo-hook", "max_retries": 1, "backoff_s": 0.01}}]}
            api.post("/api/workflows", json=flow).raise_for_status()
            run = wait_for_run(api, api.post("/api/workflows/leaky/runs", json={}).json()["run_id"], 120)
            assert run["status"] == "failed" and httpserver.log  # it really reached the echo server
            seen = [json.dumps(run), api.get(f"/api/runs/{run['id']}/nodes/post/logs").text,
                    api.get(f"/api/runs/{run['id']}/nodes/post/output").text]
            assert "PATHTOKEN12345" in httpserver.log[0][1].get_data(as_text=True)  # the server did echo it
            # Prefect's record is written by the API's writer beside the runs, a moment later.
            prefect_run_id = wait_until(lambda: api.get(f"/api/runs/{run['id']}").json()["prefect_flow_run_id"],
                                        60, "the run's Prefect flow run")
    finally:
        server.stop()
    seen.append(server.log())
    con = duckdb.connect(str(server.home / "app.duckdb"), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
        seen.append(json.dumps(con.execute(f'SELECT * FROM "{table}"').fetchall(), default=str))
    con.close()
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(uuid.UUID(prefect_run_id))
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run.id])))
        logs = client.read_logs()
    seen += [flow_run.model_dump_json(), *(t.model_dump_json() for t in tasks), *(log.message for log in logs)]
    everything = "\n".join(seen)
    assert "no such hook" in everything  # the error itself is kept, masked
    for part in SECRET_PARTS:
        assert part not in everything, part


def test_a_labeling_function_cannot_read_the_data_folder(secured, api):
    from tests.server.test_api_labeling import make_project

    _, project = make_project(api)
    key_path = secured.home / "secrets.key"
    assert key_path.exists()
    code = ("def lf(record):\n"
            "    import os\n"
            f"    try:\n        data = open({str(key_path)!r}).read()\n"
            "    except OSError:\n        return None\n"
            "    return 'rather positive' if data else None\n")
    preview = api.post(f"/api/labeling/projects/{project}/tasks/sentiment/preview",
                       json={"code": code, "sample_size": 5})
    assert preview.status_code == 200, preview.text
    assert preview.json()["hits"] == 0  # the key file is not there inside the sandbox
