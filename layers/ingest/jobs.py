"""Background imports: a row in ``import_jobs``, a worker thread, progress polled over HTTP.

The import runs in one transaction of its own session; progress is written in separate
short transactions so pollers (possibly in another worker process) see it move. The
runner never raises and always ends a job ``done`` or ``failed``; a job whose process
died mid-way is reported failed once it is older than the configured timeout.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any

import orjson
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from layers.db import session_scope
from layers.errors import DomainError, NotFound
from layers.ingest.archive import StagedUpload
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.pipeline import import_file
from layers.layer_admin import ensure_uploadable, managed_layer
from layers.models import ImportJob

log = logging.getLogger(__name__)
PHASES = {
    "read": "Đang đọc tệp / reading the file",
    "validate": "Đang kiểm tra hình học / validating geometries",
    "write": "Đang ghi vào cơ sở dữ liệu / writing to the database",
}


def queue_import(session: Session, slug: str, staged: StagedUpload, user_id: int | None) -> ImportJob:
    """A queued job for an existing, uploadable layer; the staged file is removed on refusal."""
    try:
        ensure_uploadable(managed_layer(session, slug))
        job = ImportJob(id=str(uuid.uuid4()), layer_slug=slug, status="queued", progress=0, total=None,
                        message="Đang chờ / queued", created_by=user_id,
                        result={"filename": staged.filename, "bytes": staged.size})
        session.add(job)
        session.flush()
    except BaseException:
        staged.cleanup()
        raise
    return job


def _set(factory: sessionmaker[Session], job_id: str, **values: Any) -> None:
    with session_scope(factory) as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


class _Reporter:
    """Progress callback that writes at most twice a second, and on every phase change."""

    def __init__(self, factory: sessionmaker[Session], job_id: str) -> None:
        self.factory, self.job_id, self.phase, self.last = factory, job_id, "", 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = monotonic()
        if phase == self.phase and now - self.last < 0.5 and done != total:
            return
        self.phase, self.last = phase, now
        _set(self.factory, self.job_id, progress=done, total=total, message=PHASES.get(phase, phase))


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(extra, default=str))
    return parsed


def _finish(factory: sessionmaker[Session], job_id: str, status: str, message: str,
            result: dict[str, Any], **values: Any) -> None:
    try:
        _set(factory, job_id, status=status, message=message, result=_jsonable(result),
             finished_at=datetime.now(UTC), **values)
    except Exception:  # the database went away: the stale-job rule will end it
        log.exception("could not record the end of import job %s", job_id)


def run_import_job(factory: sessionmaker[Session], job_id: str, slug: str, staged: StagedUpload,
                   options: ImportOptions, limits: ImportLimits, user_id: int | None) -> None:
    """Run a queued import to the end; never raises, always removes the staged file."""
    try:
        _set(factory, job_id, status="running", message=PHASES["read"])
        with session_scope(factory) as session:
            version, report = import_file(session, slug, staged.path, staged.filename, options, limits,
                                          user_id, _Reporter(factory, job_id))
        _finish(factory, job_id, "done", "Đã nhập xong / import finished",
                {"version": version.version, "report": report}, progress=report["features_imported"],
                total=report["features_imported"])
    except DomainError as exc:
        _finish(factory, job_id, "failed", exc.message, {"code": exc.code, **exc.extra})
    except Exception:
        log.exception("import job %s failed", job_id)
        _finish(factory, job_id, "failed", "Lỗi máy chủ khi nhập / internal error during the import",
                {"code": "internal_error"})
    finally:
        staged.cleanup()


def get_job(session: Session, job_id: str, timeout: timedelta) -> dict[str, Any]:
    """A job's state; one left unfinished past ``timeout`` (its process died) is failed now."""
    try:
        key = str(uuid.UUID(job_id))
    except ValueError:
        key = ""
    job = session.get(ImportJob, key) if key else None
    if job is None:
        raise NotFound(f"Không có tác vụ nhập / no import job: {job_id[:64]}", code="job_not_found")
    if job.status in ("queued", "running") and job.created_at < datetime.now(UTC) - timeout:
        job.status, job.finished_at = "failed", datetime.now(UTC)
        job.message = "Tác vụ bị gián đoạn / the import was interrupted"
        job.result = {**(job.result or {}), "code": "job_interrupted"}
        session.flush()
    return {"id": job.id, "layer_slug": job.layer_slug, "status": job.status, "progress": job.progress,
            "total": job.total, "message": job.message, "result": job.result, "created_at": job.created_at,
            "finished_at": job.finished_at}
