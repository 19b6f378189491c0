"""Engine and session factory. Built from settings by a function, never at import."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from layers.errors import DatabaseUnavailable


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """One engine per process; ``pool_pre_ping`` survives a restarted cluster."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    elif url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    return create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions in autocommit mode, for hot read-only routes whose every query is one
    statement (vector tiles): no BEGIN and COMMIT round trips; each statement reads its
    own snapshot. Shares the engine's pool."""
    return sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


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
