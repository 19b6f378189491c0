"""Migration 0003 goes down cleanly, including the per-year tracking-code sequences."""

from sqlalchemy import text

from layers.migrate import downgrade, upgrade
from tests.layers.test_migrations import scratch_engine  # noqa: F401 (fixture)


def _sequences(conn):
    return set(conn.execute(text(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'feedback_code_seq_%'")).scalars())


def test_code_sequences_are_created_on_first_use_and_dropped_by_the_downgrade(scratch_engine):  # noqa: F811
    upgrade(scratch_engine)
    with scratch_engine.begin() as conn:
        assert [conn.execute(text("SELECT feedback_next_code_number(2031)")).scalar() for _ in range(3)] == [1, 2, 3]
        assert conn.execute(text("SELECT feedback_next_code_number(2032)")).scalar() == 1
        assert _sequences(conn) == {"feedback_code_seq_2031", "feedback_code_seq_2032"}
    downgrade(scratch_engine, "0002")
    with scratch_engine.connect() as conn:
        assert _sequences(conn) == set()
        assert not conn.execute(text("SELECT to_regclass('feedback_reports')")).scalar()
        assert not conn.execute(text(
            "SELECT 1 FROM pg_proc WHERE proname = 'feedback_next_code_number'")).first()
    upgrade(scratch_engine)
    with scratch_engine.begin() as conn:
        assert conn.execute(text("SELECT feedback_next_code_number(2031)")).scalar() == 1
