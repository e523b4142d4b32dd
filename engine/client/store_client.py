"""StoreClient over HTTP: how flow runs in worker processes (or other machines) reach
stores, cursors, secrets, labeling projects and saved workflows through the API process
that owns the DuckDB files.

The same `StoreClient` protocol as the in-process client (stores/client.py), every method
one request (or two) carrying a whole batch. It authenticates with a run's own token
(engine/server/services/run_tokens.py), so it reaches only the secrets, stores and
projects that run's workflow names; secret values and labeling bundles are served only
on internal routes, never through the public API. The public routes it also speaks
(secrets management, file upload and download) need the user's token.

Errors are re-raised as the types the in-process client raises: the API answers
`{error: kind, detail, ...}` with a status (engine/server/errors.py), and what the call
was about (a store, a secret, a file, a labeling project) picks the exact class — so a
node's `except StoreError` or `except HeuristicError` catches the same thing in a worker
as in `wirework run`. A server that cannot be reached, or fails, is `Unavailable`.

Records go out encoded by `engine/model/json_bytes.py`, so an integer beyond 64 bits
(`10**30`) is written as its digits instead of failing the node. `upsert_batches` is a
staged write (engine/server/routes/stores.py): the records of many batches sent ~10,000 a
request and committed as one upsert, so neither side holds them all.
"""

from __future__ import annotations

import csv
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
import time
from typing import Any, Iterable, Iterator

import httpx
import orjson

from stores import (
    FileFormatUnsupported, FileNotFound, FilePathRefused, FilterInvalid, Forbidden, NameInvalid, NotFound,
    RecordInvalid, SecretInvalid, SecretNotFound, StoreClientClosed, StoreError, StoreExists, StoreNotFound,
    Unavailable, WriteNotFound, check_name,
)
from stores.batch import RECORD_JSON_OPTIONS, check_records, record_json_default
from stores.client import Record, StoreClient
from stores.labeling import HeuristicError, LabelingError, LabelingInvalid, StoreUnavailable
from stores.labeling import NotFound as LabelingNotFound

from engine.client.reporting import auth_headers
from engine.client.tls import shared_ssl_context
from engine.model import json_bytes
from engine.model.workflow import Workflow

BUNDLE_ROUTE = "/api/internal/labeling/projects/{project}/bundle"
# What the API's upload and download routes take (engine/server/routes/stores.py).
UPLOAD_SUFFIXES = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}
# A staged write's requests: ~10,000 records, fewer when their JSON passes 8 MB (well within
# the API's body limit, WIREWORK_MAX_BODY_MB, 64 by default).
WRITE_BATCH_RECORDS = 10_000
WRITE_BATCH_BYTES = 8 * 1024 * 1024
# Errors that mean the request never reached the API, so sending it again is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
BATCH_ATTEMPTS = 3


@dataclass(frozen=True)
class _About:
    """What a request is about, which picks the type of the error it may raise."""

    resource: str  # "store" | "secret" | "file" | "cursor" | "labeling" | "workflow"
    name: str = ""
    invalid: type[StoreError] = FilterInvalid  # the type of a refused argument


def _rebuilt(cls: type[Exception], message: str, **attributes: Any) -> Exception:
    """An instance of `cls` carrying the API's own message and the attributes the API sent
    back, without running the constructor (which would compose a message of its own)."""
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    for key, value in attributes.items():
        setattr(exc, key, value)
    return exc


def _labeling_error(status: int, kind: str, detail: str, body: dict[str, Any]) -> LabelingError:
    cls: type[LabelingError]
    if kind == "not_found" or status == 404:
        cls = LabelingNotFound
    elif kind == "already_exists" or status == 409:
        cls = StoreUnavailable  # the one conflict a bundle can meet: the project's store
    elif "exception_type" in body:  # only a HeuristicError carries it
        cls = HeuristicError
    else:
        cls = LabelingInvalid
    exc = cls.__new__(cls)  # as _rebuilt: the constructor would compose its own text
    exc.project, exc.task, exc.heuristic, exc.record_id = (
        body.get("project"), body.get("task"), body.get("heuristic"), body.get("record_id"))
    if isinstance(exc, HeuristicError):
        exc.line, exc.source_line = body.get("line"), body.get("source_line")
        exc.exception_type = body.get("exception_type") or cls.__name__
    # A labeling error's text is its names, then its message: take the names off the
    # API's detail, so the rebuilt error reads exactly the same.
    exc.message = ""
    prefix = str(exc)
    exc.message = detail[len(prefix):] if prefix and detail.startswith(prefix) else detail
    Exception.__init__(exc, exc.message)
    return exc


def error_from_response(method: str, path: str, status: int, body: Any, about: _About) -> Exception:
    """The exception the in-process client would have raised for the API's answer."""
    body = body if isinstance(body, dict) else {}
    kind = str(body.get("error") or "")
    detail = str(body.get("detail") or body.get("error") or f"{method} {path} answered {status}")
    if status == 503 or kind == "unavailable":
        if about.resource in ("store", "secret", "file", "cursor"):
            return StoreClientClosed(detail)
        return Unavailable(detail)
    if status >= 500:
        return Unavailable(f"{method} {path}: {status} {detail}")
    if status in (401, 403) and kind != "path_refused":
        return Forbidden(detail)
    if kind == "path_refused":
        return FilePathRefused(detail)
    if about.resource == "labeling":
        return _labeling_error(status, kind, detail, body)
    if kind == "not_found" or status == 404:
        if about.resource == "secret":
            return _rebuilt(SecretNotFound, detail, name=about.name)
        if about.resource == "file":
            return FileNotFound(detail)
        if about.resource == "workflow":
            return NotFound(detail)
        if about.resource == "write" and body.get("write_id"):
            return _rebuilt(WriteNotFound, detail, name=about.name, write_id=body.get("write_id"))
        return _rebuilt(StoreNotFound, detail, name=about.name)
    if kind == "already_exists" or status == 409:
        return _rebuilt(StoreExists, detail, name=about.name)
    if about.invalid is RecordInvalid:
        return _rebuilt(RecordInvalid, detail, store=about.name, index=body.get("index"),
                        record_id=body.get("record_id"), problem=None)
    return about.invalid(detail)


def _raise_for_error(response: httpx.Response, method: str, path: str, about: _About) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    raise error_from_response(method, path, response.status_code, body, about)


class HttpStoreClient:
    """The StoreClient of worker processes (see the module docstring)."""

    def __init__(self, api_url: str, token: str, timeout_s: float = 120.0):
        self._client = httpx.Client(base_url=api_url, timeout=timeout_s, headers=auth_headers(token),
                                    verify=shared_ssl_context())

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, path: str, about: _About, *, json: Any = None,
                 params: dict[str, Any] | None = None, content: bytes | None = None,
                 files: dict[str, Any] | None = None) -> httpx.Response:
        if json is not None:
            content = orjson.dumps(json)
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self._client.request(method, path, content=content, params=params, headers=headers,
                                            files=files)
        except httpx.TransportError as exc:
            raise Unavailable(f"{method} {path}: the wirework API at {self._client.base_url} cannot be reached "
                              f"({type(exc).__name__}: {exc})") from exc
        _raise_for_error(response, method, path, about)
        return response

    def _call(self, method: str, path: str, about: _About, **kwargs: Any) -> Any:
        response = self._request(method, path, about, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return orjson.loads(response.content)

    @staticmethod
    def _store(name: str, invalid: type[StoreError] = FilterInvalid) -> _About:
        # Checked here, as the in-process client does, so a bad name is a NameInvalid
        # and never becomes part of a URL.
        return _About("store", check_name(name), invalid)

    # -- shared stores ---------------------------------------------------------------
    def list_stores(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/stores", _About("store"))

    def create_store(self, name: str, *, exist_ok: bool = False) -> dict[str, Any]:
        try:
            return self._call("POST", "/api/stores", self._store(name, NameInvalid), json={"name": name})
        except StoreExists:
            if not exist_ok:
                raise
            return self.describe_store(name)

    def describe_store(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/api/stores/{name}", self._store(name))

    def drop_store(self, name: str) -> None:
        self._call("DELETE", f"/api/stores/{name}", self._store(name))

    def upsert(self, name: str, records: list[dict[str, Any]], *, create: bool = False) -> dict[str, int]:
        """All or nothing; `create` makes the store in the same transaction as the batch."""
        about = self._store(name, RecordInvalid)
        params = {"create": "true"} if create else None
        # Checked and encoded here, so a bad record is named before anything is sent.
        return self._call("POST", f"/api/stores/{name}/records", about, content=_encode_records(name, records),
                          params=params)

    def upsert_batches(self, name: str, batches: Iterable[list[Record]], *, create: bool = False) -> dict[str, int]:
        """One staged write (see StoreRecords.upsert_batches): open, the records in requests
        of ~10,000, commit; aborted (DELETE) when the batches, a request or the commit fail."""
        about = self._store(name, RecordInvalid)
        params = {"create": "true"} if create else None
        write_id = self._call("POST", f"/api/stores/{name}/writes", about, params=params)["write_id"]
        path = f"/api/stores/{name}/writes/{urllib.parse.quote(write_id, safe='')}"
        about = _About("write", name, RecordInvalid)
        try:
            for body in _request_bodies(name, batches):
                self._send_batch(f"{path}/batches", about, body)
            return self._call("POST", f"{path}/commit", about)
        except BaseException:
            self._abort_write(path, about)
            raise

    def _send_batch(self, path: str, about: _About, body: bytes) -> None:
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                self._call("POST", path, about, content=body)
                return
            except Unavailable as exc:
                # Only a request that never reached the API is sent again: one that did may
                # have been staged (a repeat would be harmless to the result, since the last
                # of equal ids wins at the same place, but it is not needed to be safe).
                if not isinstance(exc.__cause__, _NOT_SENT) or attempt == BATCH_ATTEMPTS:
                    raise
                time.sleep(0.5 * attempt)

    def _abort_write(self, path: str, about: _About) -> None:
        try:
            self._call("DELETE", path, about)
        except (NotFound, Unavailable, Forbidden):
            pass  # already gone (a refused record aborts it) or unreachable: the API removes it after an hour

    def browse(self, name: str, *, where: dict[str, Any] | None = None, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if where:
            params["where"] = orjson.dumps(where).decode()
        return self._call("GET", f"/api/stores/{name}/records", self._store(name), params=params)

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[dict[str, Any]]:
        body = {"where": where, "limit": limit, "offset": offset}
        return self._call("POST", f"/api/stores/{name}/query", self._store(name), json=body)["records"]

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        params = {"after_seq": after_seq, **({"limit": limit} if limit is not None else {})}
        return self._call("GET", f"/api/stores/{name}/since", self._store(name), params=params)

    def delete(self, name: str, ids: list[str]) -> int:
        return self._call("POST", f"/api/stores/{name}/delete", self._store(name), json={"ids": ids})["deleted"]

    # -- incremental cursors (internal routes) ---------------------------------------
    def _cursor(self, workflow_id: str, node_id: str, store: str) -> tuple[str, _About]:
        about = _About("cursor", check_name(store))
        return f"/api/internal/cursors/{workflow_id}/{node_id}/{store}", about

    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int:
        path, about = self._cursor(workflow_id, node_id, store)
        return self._call("GET", path, about)["seq"]

    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None:
        path, about = self._cursor(workflow_id, node_id, store)
        self._call("PUT", path, about, json={"seq": seq})

    def advance_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> int:
        path, about = self._cursor(workflow_id, node_id, store)
        return self._call("POST", f"{path}/advance", about, json={"seq": seq})["seq"]

    def list_cursors(self, store: str | None = None) -> list[dict[str, Any]]:
        raise Unavailable("listing incremental cursors is not offered over the API (no route serves it); "
                          "list them in the process that owns the stores")

    # -- files (the public upload and download routes; paths are on this side) --------
    def list_files(self) -> list[dict[str, Any]]:
        raise Unavailable("listing the data folder's files is not offered over the API (no route serves it); "
                          "import and export go through upload and download instead")

    def import_file(self, name: str, path: str, *, format: str | None = None, id_field: str = "id",
                    create: bool = True) -> dict[str, Any]:
        """Upload the local file at `path` into the store (the API always creates a missing
        store; with `create=False` a missing one is a StoreNotFound first)."""
        about = self._store(name, FileFormatUnsupported)
        source = Path(path)
        fmt = _upload_format(source, format)
        if not source.is_file():
            raise FileNotFound(f'file "{path}" does not exist')
        if not create:
            self.describe_store(name)
        with source.open("rb") as handle:
            files = {"file": (f"{source.stem}{UPLOAD_SUFFIXES[fmt]}", handle, "application/octet-stream")}
            result = self._call("POST", f"/api/stores/{name}/upload", about, params={"id_field": id_field},
                                files=files)
        return {**result, "path": path, "format": fmt}

    def export_file(self, name: str, path: str, *, format: str | None = None,
                    where: dict[str, Any] | None = None) -> dict[str, Any]:
        """Download the whole store into the local file at `path`."""
        about = self._store(name, FileFormatUnsupported)
        if where:
            raise FilterInvalid(f'store "{name}": the API exports whole stores; read the matching records '
                                "(read with `where`) and write them instead")
        target = Path(path)
        fmt = _upload_format(target, format)
        with self._client.stream("GET", f"/api/stores/{name}/download", params={"format": fmt}) as response:
            if response.status_code >= 400:
                response.read()
                _raise_for_error(response, "GET", f"/api/stores/{name}/download", about)
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return {"store": name, "path": path, "format": fmt, "records": _count_records(target, fmt),
                "bytes": target.stat().st_size}

    # -- secrets and webhook targets ---------------------------------------------------
    def _secret(self, name: str, invalid: type[StoreError] = SecretInvalid) -> _About:
        return _About("secret", check_name(name, "secret"), invalid)

    def set_secret(self, name: str, value: str, *, kind: str = "secret") -> dict[str, Any]:
        return self._call("PUT", f"/api/secrets/{name}", self._secret(name), json={"value": value, "kind": kind})

    def list_secrets(self, kind: str | None = None) -> list[dict[str, Any]]:
        entries = self._call("GET", "/api/secrets", _About("secret"))
        return [e for e in entries if kind is None or e.get("kind") == kind]

    def describe_secret(self, name: str) -> dict[str, Any]:
        about = self._secret(name)
        for entry in self._call("GET", "/api/secrets", about):
            if entry.get("name") == name:
                return entry
        raise SecretNotFound(name)

    def delete_secret(self, name: str) -> bool:
        try:
            self._call("DELETE", f"/api/secrets/{name}", self._secret(name))
        except SecretNotFound:
            return False
        return True

    def get_secret(self, name: str) -> str:
        return self._call("GET", f"/api/internal/secrets/{name}", self._secret(name))["value"]

    # -- labeling projects (internal route) ---------------------------------------------
    def labeling_bundle(self, project: str, tasks: list[str] | None = None) -> dict[str, Any]:
        path = BUNDLE_ROUTE.format(project=urllib.parse.quote(project, safe=""))
        return self._call("POST", path, _About("labeling", project), json={"tasks": tasks})

    # -- saved workflows (internal route; not part of StoreClient) ----------------------
    def load_workflow(self, workflow_id: str) -> Workflow:
        about = _About("workflow", workflow_id)
        return Workflow.model_validate(self._call("GET", f"/api/internal/workflows/{workflow_id}", about))


def _encode_records(store: str, records: Any, first_index: int = 0) -> bytes:
    """The records as one JSON array, checked as the stores check them (a bad record is a
    RecordInvalid naming its index — in the whole write, from `first_index` — and its id);
    integers beyond 64 bits become their digits (json_bytes)."""
    try:
        check_records(store, records)
    except RecordInvalid as exc:
        raise RecordInvalid(store, first_index + exc.index, exc.record_id, exc.problem) from None
    try:
        return json_bytes.dumps(records, record_json_default, RECORD_JSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        for index, record in enumerate(records):
            try:
                json_bytes.dumps(record, record_json_default, RECORD_JSON_OPTIONS)
            except (TypeError, orjson.JSONEncodeError) as exc:
                raise RecordInvalid(store, first_index + index, record["id"],
                                    f"is not JSON-serialisable ({exc})") from None
        raise


def _request_bodies(store: str, batches: Iterable[list[Record]]) -> Iterator[bytes]:
    """The batches regrouped into request bodies of ~WRITE_BATCH_RECORDS records (small
    batches gathered, big ones cut), halved while a body passes WRITE_BATCH_BYTES; only one
    request's records are held at a time."""
    pending: list[Record] = []
    index = 0  # of the first pending record in the whole write

    def bodies(records: list[Record], first: int) -> Iterator[bytes]:
        body = _encode_records(store, records, first)
        if len(body) > WRITE_BATCH_BYTES and len(records) > 1:
            half = len(records) // 2
            yield from bodies(records[:half], first)
            yield from bodies(records[half:], first + half)
        else:
            yield body

    for batch in batches:
        if not isinstance(batch, list):
            raise RecordInvalid(store, index, None, f"batch must be a list of records, got {type(batch).__name__}")
        start = 0
        while start < len(batch):
            take = WRITE_BATCH_RECORDS - len(pending)
            pending.extend(batch[start:start + take])
            start += take
            if len(pending) >= WRITE_BATCH_RECORDS:
                yield from bodies(pending, index)
                index += len(pending)
                pending = []
    if pending:
        yield from bodies(pending, index)


def _upload_format(path: Path, format: str | None) -> str:
    from stores.files import file_format

    fmt = file_format(path, format)
    if fmt not in UPLOAD_SUFFIXES:
        raise FileFormatUnsupported(f'"{path.name}": over the API files move as {", ".join(UPLOAD_SUFFIXES)}, '
                                    f"not {fmt}")
    return fmt


def _count_records(path: Path, fmt: str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(path).num_rows
    with path.open(newline="", encoding="utf-8") as handle:
        if fmt == "csv":
            return max(0, sum(1 for _ in csv.reader(handle)) - 1)  # less the header
        return sum(1 for line in handle if line.strip())


def _implements(client: HttpStoreClient) -> StoreClient:
    return client  # mypy checks here that HttpStoreClient implements the whole StoreClient
