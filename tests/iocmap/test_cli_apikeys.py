"""``iocmap apikey create|list|revoke`` against the test database, as an operator runs them."""

import uuid

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from iocmap.cli import app
from layers import apikeys
from layers.apikeys import ApiKey
from layers.db import make_sessionmaker, session_scope
from layers.errors import Forbidden


@pytest.fixture
def cli(engine, database_url, monkeypatch):
    monkeypatch.setenv("IOCMAP_DATABASE_URL", database_url)
    return CliRunner()


@pytest.fixture
def name(engine):
    """A unique key name; the committed key is removed afterwards."""
    value = f"cli-{uuid.uuid4().hex[:8]}"
    yield value
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(delete(ApiKey).where(ApiKey.name == value))


def _row(engine, name):
    with session_scope(make_sessionmaker(engine)) as s:
        return s.scalar(select(ApiKey).where(ApiKey.name == name))


def test_create_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(cli, engine, name):
    r = cli.invoke(app, ["apikey", "create", "--name", name, "--note", "thử"])
    assert r.exit_code == 0, r.output
    secret = r.output.strip().splitlines()[-1]
    assert secret.startswith("dmk_") and " " not in secret
    row = _row(engine, name)
    assert row.key_hash == apikeys.key_hash(secret) and row.prefix == secret[:12] and row.note == "thử"
    with session_scope(make_sessionmaker(engine)) as s:
        assert apikeys.authenticate(s, secret).name == name


def test_list_shows_keys_without_their_secrets(cli, name):
    secret = cli.invoke(app, ["apikey", "create", "--name", name]).output.strip().splitlines()[-1]
    r = cli.invoke(app, ["apikey", "list"], terminal_width=200)
    assert r.exit_code == 0 and name in r.output and secret[:12] in r.output
    assert secret not in r.output


def test_revoke_by_name_or_id_refuses_the_key_from_then_on(cli, engine, name):
    secret = cli.invoke(app, ["apikey", "create", "--name", name]).output.strip().splitlines()[-1]
    r = cli.invoke(app, ["apikey", "revoke", name])
    assert r.exit_code == 0 and "revoked" in r.output
    assert _row(engine, name).revoked_at is not None
    with session_scope(make_sessionmaker(engine)) as s, pytest.raises(Forbidden):
        apikeys.authenticate(s, secret)
    assert cli.invoke(app, ["apikey", "revoke", str(_row(engine, name).id)]).exit_code == 0


def test_a_taken_name_a_bad_name_and_an_unknown_key_fail_with_a_message(cli, name):
    assert cli.invoke(app, ["apikey", "create", "--name", name]).exit_code == 0
    taken = cli.invoke(app, ["apikey", "create", "--name", name])
    assert taken.exit_code == 1 and "exists" in taken.output
    assert cli.invoke(app, ["apikey", "create", "--name", "9bad"]).exit_code == 1
    missing = cli.invoke(app, ["apikey", "revoke", "khong-co-khoa-nay"])
    assert missing.exit_code == 1 and "no such API key" in missing.output
