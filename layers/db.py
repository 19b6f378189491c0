"""Engine and session factory. Built from settings by a function, never at import."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from layers.errors import DatabaseUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """One engine per process; ``pool_pre_ping`` survives a restarted cluster."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    elif url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_engine(engine: Engine, *, pool_size: int = 10) -> Engine:
    """A second pool on ``engine``'s database for hot read-only routes (vector tiles) whose
    every query is one statement: autocommit (no BEGIN and COMMIT round trips; each
    statement reads its own snapshot) and no ping at checkout (one round trip less, ~8%
    more small tiles per second, measured). A connection that died meanwhile (restarted
    cluster) fails its first statement instead: the caller retries once
    (``retry_on_disconnect``) while the pool replaces its connections."""
    return create_engine(engine.url, pool_size=pool_size, max_overflow=10, pool_pre_ping=False,
                         isolation_level="AUTOCOMMIT", connect_args={"application_name": "iocmap-read"})


def retry_on_disconnect(work: Callable[[], T]) -> T:
    """``work()``, once more if it failed because its pooled connection was dead."""
    try:
        return work()
    except (psycopg.OperationalError, DBAPIError) as exc:
        if not _disconnected(exc):
            raise
        log.warning("database connection lost (%s); retrying once", type(exc).__name__)
        return work()


def _disconnected(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    if not isinstance(exc, psycopg.OperationalError):
        return False
    # No SQLSTATE: the socket failed. 08xxx connection exceptions, 57P0x shutdowns. A
    # statement timeout (57014) is an OperationalError too, and must not run twice.
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error (nothing half-written)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def _psycopg_sql(sql: str) -> str:
    """``:name`` binds as psycopg's ``%(name)s`` (callers' SQL has no literal ``%``)."""
    return _BIND.sub(r"%(\1)s", sql)


def fetch_row(session: Session, sql: str, params: dict[str, Any]) -> Any:
    """One row of ``sql`` (``:name`` binds) straight from psycopg on the session's
    connection, results in binary format, as a named tuple (None when there is none).

    For the hottest statements only (vector tiles): a tile is one bytea of up to a few
    hundred KB, which the text format sends hex-encoded (twice the bytes) for psycopg to
    decode again (~1 ms of CPU per dense tile on the two sides, measured), and going
    around SQLAlchemy's statement and result machinery saves ~0.2 ms per statement.
    """
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor(binary=True, row_factory=namedtuple_row) as cur:
        return cur.execute(_psycopg_sql(sql), params).fetchone()


def check_database(engine: Engine) -> dict[str, str]:
    """Health check: the database answers and PostGIS is installed."""
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        raise DatabaseUnavailable(
            "Cơ sở dữ liệu không phản hồi / database unavailable",
            reason=type(exc).__name__,
        ) from exc
    return {"postgis": str(version), "schema": str(head)}
