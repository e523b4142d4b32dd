"""Secrets and webhook targets: named values that flow only towards nodes.

Values are encrypted with Fernet (cryptography) under a key kept in `secrets.key` in
the data folder, created with 0600 permissions. That keeps values out of a copied or
backed-up `stores.duckdb` and out of anything read from the table; it does not protect
against someone who can read the whole data folder (the key sits beside the database).

Listing returns masked values only; the one way to a value is `reveal` (the client's
`get_secret`), which nodes use at run time. Nothing here logs a value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import duckdb
from cryptography.fernet import Fernet, InvalidToken

from .errors import SecretInvalid, SecretNotFound, SecretUndecryptable
from .names import check_name

Kind = Literal["secret", "webhook"]
KINDS = ("secret", "webhook")
MASK = "••••••••"
MAX_VALUE_CHARS = 64_000

SECRETS_SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    name VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    value BLOB NOT NULL,
    hint VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
"""


def load_or_create_key(path: Path) -> Fernet:
    """The data folder's secret key; created once, readable by its owner only."""
    if not path.exists():
        # Written in full under a temporary name, then linked into place: a process
        # starting at the same moment sees either no key or the whole key, never half.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won; use its key
        finally:
            tmp.unlink()
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        os.chmod(path, 0o600)  # tighten a key file someone copied in with looser permissions
    return Fernet(path.read_bytes().strip())


def mask(kind: str, hint: str) -> str:
    return f"{hint}/{MASK}" if kind == "webhook" and hint else MASK


def _hint(kind: str, value: str) -> str:
    """What may be shown of a value: a webhook's scheme and host, nothing of a secret."""
    if kind != "webhook":
        return ""
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.hostname}"


def _check(name: str, kind: str, value: Any) -> None:
    check_name(name, "secret")
    if kind not in KINDS:
        raise SecretInvalid(f'secret "{name}": kind must be one of {", ".join(KINDS)}, got {kind!r}')
    if not isinstance(value, str) or not value:
        raise SecretInvalid(f'secret "{name}": the value must be a non-empty string')
    if len(value) > MAX_VALUE_CHARS:
        raise SecretInvalid(f'secret "{name}": the value is longer than {MAX_VALUE_CHARS} characters')
    if kind == "webhook":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SecretInvalid(f'webhook target "{name}": the value must be an http(s) URL')


def put(con: duckdb.DuckDBPyConnection, fernet: Fernet, name: str, value: str, kind: str = "secret") -> dict[str, Any]:
    _check(name, kind, value)
    token = fernet.encrypt(value.encode())
    con.execute(
        "INSERT INTO secrets (name, kind, value, hint, created_at, updated_at) VALUES (?, ?, ?, ?, now(), now()) "
        "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, value = excluded.value, hint = excluded.hint, "
        "updated_at = now()",
        [name, kind, token, _hint(kind, value)],
    )
    return describe(con, name)


def describe(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    rows = con.execute("SELECT name, kind, hint, created_at, updated_at FROM secrets WHERE name = ?",
                       [check_name(name, "secret")]).fetchall()
    if not rows:
        raise SecretNotFound(name)
    return _masked(rows[0])


def list_all(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT name, kind, hint, created_at, updated_at FROM secrets"
    params: list[Any] = []
    if kind is not None:
        sql += " WHERE kind = ?"
        params.append(kind)
    return [_masked(row) for row in con.execute(sql + " ORDER BY name", params).fetchall()]


def reveal(con: duckdb.DuckDBPyConnection, fernet: Fernet, name: str) -> str:
    rows = con.execute("SELECT value FROM secrets WHERE name = ?", [check_name(name, "secret")]).fetchall()
    if not rows:
        raise SecretNotFound(name)
    try:
        return fernet.decrypt(bytes(rows[0][0])).decode()
    except InvalidToken:
        raise SecretUndecryptable(
            f'secret "{name}" cannot be decrypted with this data folder\'s secrets.key '
            "(was the key replaced?); set the secret again"
        ) from None


def remove(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    deleted = con.execute("DELETE FROM secrets WHERE name = ?", [check_name(name, "secret")]).fetchall()[0][0]
    return bool(deleted)


def _masked(row: tuple) -> dict[str, Any]:
    name, kind, hint, created_at, updated_at = row
    return {"name": name, "kind": kind, "value": mask(kind, hint), "created_at": created_at.isoformat(),
            "updated_at": updated_at.isoformat()}
