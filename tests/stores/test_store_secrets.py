"""Secrets and webhook targets: write-only (masked when read back), encrypted at rest
with a 0600 key file in the data folder."""

from __future__ import annotations

import stat

import pytest

from stores import LocalStoreClient, NameInvalid, SecretInvalid, SecretNotFound
from tests.store_helpers import data_dir, store_client  # noqa: F401  (fixtures)

VALUE = "sk-live-0123456789abcdef"


def test_secrets_are_masked_when_listed_and_described(store_client):
    entry = store_client.set_secret("api-token", VALUE)
    listed = store_client.list_secrets()
    assert entry["value"] == listed[0]["value"] == "••••••••"
    assert VALUE not in repr(listed) and VALUE not in repr(store_client.describe_secret("api-token"))
    assert store_client.get_secret("api-token") == VALUE


def test_webhook_targets_show_only_scheme_and_host(store_client):
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    entry = store_client.set_secret("team-slack", url, kind="webhook")
    assert entry["value"] == "https://hooks.slack.com/••••••••" and entry["kind"] == "webhook"
    assert [s["name"] for s in store_client.list_secrets(kind="webhook")] == ["team-slack"]
    assert store_client.get_secret("team-slack") == url


def test_setting_again_replaces_and_delete_removes(store_client):
    store_client.set_secret("tok", "one")
    store_client.set_secret("tok", "two")
    assert store_client.get_secret("tok") == "two"
    assert store_client.delete_secret("tok") is True and store_client.delete_secret("tok") is False
    with pytest.raises(SecretNotFound, match='secret "tok" is not set'):
        store_client.get_secret("tok")


@pytest.mark.parametrize("name, value, kind, error", [
    ("Bad Name", "v", "secret", NameInvalid),
    ("tok", "", "secret", SecretInvalid),
    ("tok", 42, "secret", SecretInvalid),
    ("tok", "v", "password", SecretInvalid),
    ("hook", "ftp://x/y", "webhook", SecretInvalid),
])
def test_bad_secrets_are_refused(store_client, name, value, kind, error):
    with pytest.raises(error):
        store_client.set_secret(name, value, kind=kind)
    assert store_client.list_secrets() == []


def test_values_are_encrypted_at_rest_under_an_owner_only_key(data_dir):
    with LocalStoreClient(data_dir) as client:
        client.set_secret("tok", VALUE)
    for path in data_dir.rglob("*"):  # the database and its WAL, whichever holds the write
        if path.is_file() and path.name != "secrets.key":
            assert VALUE.encode() not in path.read_bytes(), path
    assert stat.S_IMODE((data_dir / "secrets.key").stat().st_mode) == 0o600
    with LocalStoreClient(data_dir) as client:  # the same key decrypts after a restart
        assert client.get_secret("tok") == VALUE


def test_a_replaced_key_gives_a_clear_error(data_dir):
    with LocalStoreClient(data_dir) as client:
        client.set_secret("tok", VALUE)
    (data_dir / "secrets.key").unlink()
    with LocalStoreClient(data_dir) as client:
        with pytest.raises(Exception, match='secret "tok" cannot be decrypted'):
            client.get_secret("tok")
