"""Engine and session factory. Built from settings by a function, never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
