"""The tile route reads through its own autocommit pool without a ping at checkout: a
pooled connection that died (restarted cluster, killed backend) costs one retry, never an
error. Runs against the app as deployed (its own sessions, committed data)."""

import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from layers.db import _disconnected, make_sessionmaker, session_scope
from layers.tiles import store
from tests.layers.tile_data import attr, make_layer, tile_of

TOWN = (107.615, 12.448)


@pytest.fixture
def committed_layer(engine):
    factory = make_sessionmaker(engine)
    slug = f"read-pool-{uuid.uuid4().hex[:8]}"
    with session_scope(factory) as s:
        layer = make_layer(s, slug, "Point", [(Point(TOWN), {"name": "một"})], attributes=[attr("name")])
        layer_id = layer.id
    yield slug
    with session_scope(factory) as s:
        s.execute(text("DELETE FROM layers WHERE id = :id"), {"id": layer_id})
        assert store.drop_orphans(s) >= 1  # its store table had no registry row left


def kill_readers(engine) -> int:
    with engine.connect() as conn:
        killed = conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'iocmap-read' AND pid <> pg_backend_pid()")).all()
        conn.commit()
    return len(killed)


def test_a_dead_pooled_connection_costs_a_retry_not_an_error(settings, engine, committed_layer):
    app = create_app(settings, engine=engine)
    x, y = tile_of(*TOWN, 14)
    url = f"/tiles/{committed_layer}/14/{x}/{y}.mvt?detail=full"
    with TestClient(app) as client:
        first = client.get(url)
        assert first.status_code == 200 and first.headers["x-tile-features"] == "1"
        assert kill_readers(engine) >= 1
        for _ in range(3):
            again = client.get(url)
            assert again.status_code == 200 and again.content == first.content


@pytest.mark.parametrize("exc, retried", [
    (psycopg.OperationalError("server closed the connection unexpectedly"), True),
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
    (psycopg.errors.UndefinedTable("no such table"), False),
    (DBAPIError("SELECT 1", {}, psycopg.errors.QueryCanceled("timeout")), False),
], ids=["socket", "shutdown", "statement-timeout", "sql-error", "wrapped-timeout"])
def test_only_lost_connections_are_retried(exc, retried):
    assert _disconnected(exc) is retried
