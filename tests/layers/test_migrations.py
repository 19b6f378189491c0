"""Migrations: the schema Alembic builds matches the models, and every step goes down and up."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import text

from layers.db import make_engine
from layers.migrate import downgrade, upgrade
from layers.models import Base


@pytest.fixture
def scratch_engine(engine):
    """A separate empty database on the same server, dropped afterwards."""
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(engine.url.set(database=name).render_as_string(hide_password=False), pool_size=1)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_models_match_the_migrated_schema(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_object": alembic_helpers.include_object, "compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_downgrade_to_base_and_up_again(scratch_engine):
    upgrade(scratch_engine)
    downgrade(scratch_engine, "base")
    with scratch_engine.connect() as conn:
        tables = set(conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert tables <= {"alembic_version", "spatial_ref_sys"}
    upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_units")).scalar() == 0


def test_spatial_columns_have_gist_indexes(engine):
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT c.f_table_name, c.f_geometry_column,
                   EXISTS (SELECT 1 FROM pg_indexes i WHERE i.tablename = c.f_table_name
                           AND i.indexdef ILIKE '%USING gist%' AND i.indexdef LIKE '%' || c.f_geometry_column || '%')
            FROM geometry_columns c WHERE c.f_table_schema = 'public'""")).all()
    assert rows
    for table, column, indexed in rows:
        assert indexed, f"{table}.{column} has no GiST index"
