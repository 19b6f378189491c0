"""Shared fixtures: a throwaway PostGIS cluster (the same code as ``iocmap db start``),
migrated by Alembic and loaded with the Đắk Mil defaults; each test runs in a
transaction that is rolled back, so tests never see each other's writes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from layers import accounts
from layers.cluster import Cluster
from layers.db import make_engine, make_sessionmaker, session_scope
from layers.defaults import load_defaults
from layers.migrate import upgrade
from layers.models import User
from layers.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-thu-nghiem-1"
ROLES = ("admin", "leader", "planner", "officer", "citizen")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """IOCMAP_TEST_DATABASE_URL if given, else a private cluster in a temp dir."""
    external = os.environ.get("IOCMAP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    tmp = Path(tempfile.mkdtemp(prefix="iocmap-test-"))
    tmp.chmod(0o755)  # the cluster may run as the postgres user
    cluster = Cluster(tmp, port=free_port())
    cluster.start(fast_unsafe=True)
    try:
        yield cluster.url
    finally:
        cluster.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    with session_scope(make_sessionmaker(eng)) as s:
        load_defaults(s)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def test_sessionmaker(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commit only releases a savepoint inside the test's transaction."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def db(test_sessionmaker: sessionmaker[Session]) -> Iterator[Session]:
    session = test_sessionmaker()
    yield session
    session.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return get_settings(database_url=database_url, login_max_failures=5)


@pytest.fixture
def app(settings: Settings, engine: Engine, test_sessionmaker: sessionmaker[Session]) -> FastAPI:
    application = create_app(settings, engine=engine)
    application.state.sessionmaker = test_sessionmaker
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_user(db: Session) -> Callable[..., User]:
    counter = iter(range(10_000))

    def _make(role: str = "citizen", *, username: str | None = None, **kw: Any) -> User:
        user = accounts.create_user(
            db, username=username or f"{role}-{next(counter)}", password=PASSWORD, role=role, **kw
        )
        db.commit()
        return user

    return _make


@pytest.fixture
def token_for(client: TestClient) -> Callable[[User], dict[str, str]]:
    def _token(user: User) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return _token


# ---- a real server for browser and standard-client tests ----------------------------


@pytest.fixture(scope="session")
def live_server(engine: Engine, database_url: str) -> Iterator[str]:
    """uvicorn in a subprocess against the test database (committed data only)."""
    port = free_port()
    env = {**os.environ, "IOCMAP_DATABASE_URL": database_url, "IOCMAP_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "iocmap.asgi:create", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # generous: CI machines can be loaded
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("live server did not start")
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def committed_users(engine: Engine) -> dict[str, str]:
    """One committed account per role for live-server tests: role -> username."""
    names = {}
    with session_scope(make_sessionmaker(engine)) as s:
        for role in ROLES:
            name = f"live-{role}"
            try:
                accounts.get_user(s, name)
            except Exception:
                accounts.create_user(s, username=name, password=PASSWORD, role=role,
                                     full_name=f"Người dùng {role}",
                                     agency_codes=["ubnd-24664"] if role == "officer" else [])
            names[role] = name
    return names
