"""``iocmap feedback close-stale`` and ``prune-media``, run as a cron job would run them."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from iocmap.cli import app
from layers import accounts
from layers.db import make_sessionmaker, session_scope
from layers.errors import NotFound
from layers.feedback import workflow
from layers.feedback.media import MediaStore
from layers.feedback.models import Report
from layers.feedback.workflow import Step
from tests.conftest import PASSWORD
from tests.layers.feedback.helpers import NOW, submit


@pytest.fixture
def cli_env(engine, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("IOCMAP_DATABASE_URL", database_url)
    monkeypatch.setenv("IOCMAP_MEDIA_DIR", str(tmp_path / "media"))
    return CliRunner()


def _user(session, name, role, agencies=()):
    try:
        return accounts.get_user(session, name)
    except NotFound:
        return accounts.create_user(session, username=name, password=PASSWORD, role=role,
                                    agency_codes=list(agencies))


def test_close_stale_closes_reports_resolved_more_than_seven_days_ago(cli_env, engine, tmp_path):
    factory = make_sessionmaker(engine)
    with session_scope(factory) as s:
        officer = _user(s, "cli-feedback-officer", "officer", ["phong-ktht"])
        code = submit(s, MediaStore(tmp_path / "media"), now=NOW - timedelta(days=20)).report.code
        for step in (Step(to="assigned"), Step(to="in_progress"), Step(to="resolved", public_note="Xong")):
            workflow.apply(s, code, step, officer, NOW - timedelta(days=10))
    try:
        r = cli_env.invoke(app, ["feedback", "close-stale"])
        assert r.exit_code == 0, r.output
        lines = r.output.splitlines()
        assert int(lines[0].split()[-1]) >= 1
        assert lines[1].startswith("statistics journal rows folded ")
        with session_scope(factory) as s:  # the journal is folded: nothing left for a request to do
            assert s.scalar(text("SELECT count(*) FROM feedback_stats_delta")) == 0
        with session_scope(factory) as s:
            report = s.scalar(select(Report).where(Report.code == code))
            assert (report.status, report.closure) == ("closed", "resolved_unconfirmed")
    finally:
        with session_scope(factory) as s:
            s.execute(Report.__table__.delete().where(Report.code == code))


def test_prune_media_lists_then_deletes_files_without_a_row(cli_env, tmp_path):
    orphan = MediaStore(tmp_path / "media").path("orphan-name-xyz")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    r = cli_env.invoke(app, ["feedback", "prune-media"])
    assert r.exit_code == 0 and str(orphan) in r.output and orphan.exists()
    r = cli_env.invoke(app, ["feedback", "prune-media", "--delete"])
    assert r.exit_code == 0 and not orphan.exists()
