"""HttpStoreClient re-raises what the server raised: each domain error goes through the
API's real error handlers (engine/server/errors.py) on a real HTTP server on 127.0.0.1,
and comes out of the client as the same type with the same text and fields."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI, Request

from engine.client.store_client import HttpStoreClient
from engine.server.errors import ApiError, install_error_handlers
from stores import (
    FilePathRefused, FilterInvalid, Forbidden, RecordInvalid, SecretNotFound, StoreClientClosed, StoreError,
    StoreExists, StoreNotFound, Unavailable,
)
from stores.labeling import HeuristicError, LabelingInvalid, StoreUnavailable
from stores.labeling import NotFound as ProjectNotFound
from tests.server_harness import free_port


@pytest.fixture(scope="module")
def refusing_api():
    """An API whose every route raises the exception queued in `raises`."""
    app = FastAPI()
    install_error_handlers(app)
    raises: list[Exception] = []

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def refuse(path: str, request: Request):
        raise raises.pop()

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    client = HttpStoreClient(f"http://127.0.0.1:{port}", "token")
    yield client, raises
    client.close()
    server.should_exit = True
    thread.join(10)


CASES = [
    ("describe_store", ("news",), StoreNotFound("news")),
    ("create_store", ("news",), StoreExists("news")),
    ("read", ("news",), FilterInvalid('store "news": offset must be a non-negative integer, got -1')),
    ("browse", ("news",), StoreClientClosed("the store client of /data/stores.duckdb is closed")),
    ("get_secret", ("slack-hook",), SecretNotFound("slack-hook")),
    ("import_file", ("news", "missing.csv"), FilePathRefused('"../x.csv" leaves the files folder')),
]


@pytest.mark.parametrize("method, args, raised", CASES, ids=[type(c[2]).__name__ for c in CASES])
def test_store_errors_come_back_as_the_same_type_and_text(refusing_api, tmp_path, method, args, raised):
    client, raises = refusing_api
    if method == "import_file":  # the file must exist on this side before anything is sent
        (tmp_path / "missing.csv").write_text("id\n1\n")
        args = (args[0], str(tmp_path / "missing.csv"))
    raises.append(raised)
    with pytest.raises(StoreError) as caught:
        getattr(client, method)(*args)
    assert type(caught.value) is type(raised) and str(caught.value) == str(raised)
    if hasattr(raised, "name"):
        assert caught.value.name == raised.name


def test_a_refused_batch_is_a_record_invalid(refusing_api):
    client, raises = refusing_api
    raises.append(RecordInvalid("news", 2, "a2", "has no string id"))
    with pytest.raises(RecordInvalid) as caught:
        client.upsert("news", [{"id": "a1"}])
    assert str(caught.value) == str(RecordInvalid("news", 2, "a2", "has no string id"))


LABELING_CASES = [
    HeuristicError("KeyError: 'price'", line=3, source_line="change = record['price'] - 1",
                   exception_type="KeyError", project="stocknews", task="sentiment", heuristic="price-move",
                   record_id="r7"),
    ProjectNotFound("no such labeling project", project="stocknews"),
    StoreUnavailable('the store "news" of the project does not exist', project="stocknews"),
    LabelingInvalid("the project has no labeling tasks", project="stocknews"),
]


@pytest.mark.parametrize("raised", LABELING_CASES, ids=[type(c).__name__ for c in LABELING_CASES])
def test_labeling_errors_of_the_bundle_keep_type_names_and_line(refusing_api, raised):
    client, raises = refusing_api
    raises.append(raised)
    with pytest.raises(type(raised)) as caught:
        client.labeling_bundle("stocknews", ["sentiment"])
    got = caught.value
    assert type(got) is type(raised) and str(got) == str(raised) and got.message == raised.message
    assert (got.project, got.task, got.heuristic, got.record_id) == \
        (raised.project, raised.task, raised.heuristic, raised.record_id)
    if isinstance(raised, HeuristicError):
        assert (got.line, got.source_line, got.exception_type) == (3, raised.source_line, "KeyError")


def test_a_refused_route_is_forbidden(refusing_api):
    client, raises = refusing_api
    raises.append(ApiError(403, "forbidden", "this route is for wirework run processes (with their run's token)"))
    with pytest.raises(Forbidden, match="run processes"):
        client.get_cursor("wf", "read", "news")


def test_a_server_that_is_not_there_is_unavailable():
    client = HttpStoreClient(f"http://127.0.0.1:{free_port()}", "token", timeout_s=5)
    with pytest.raises(Unavailable, match="cannot be reached"):
        client.list_stores()
    client.close()


def test_names_are_checked_before_anything_is_sent():
    from stores import NameInvalid

    client = HttpStoreClient(f"http://127.0.0.1:{free_port()}", "token", timeout_s=5)
    for call in (lambda: client.read("../internal/secrets/x"), lambda: client.get_secret("Bad Name"),
                 lambda: client.upsert("abc\n", [])):
        with pytest.raises(NameInvalid):
            call()
    client.close()
