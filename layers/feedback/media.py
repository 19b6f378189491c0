"""Photo files on disk, tied to the database transaction that records them.

Files are written under random names before the commit and removed again if the
transaction does not commit (rollback, error, or a session closed without commit), so a
failed submission leaves neither a row nor a file. A crash between the write and the
commit can leave an orphan file (never a row without its file); ``orphans()`` lists them
for cleanup.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from layers.feedback.models import Photo

log = logging.getLogger(__name__)

_PENDING = "feedback_pending_files"


def new_name() -> str:
    """An unguessable file stem (128 bits)."""
    return secrets.token_urlsafe(16)


class MediaStore:
    """Photos under ``root/reports/<2 chars>/<name>.jpg`` and ``<name>.thumb.jpg``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str, variant: str = "full") -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("bad media name")
        suffix = ".thumb.jpg" if variant == "thumb" else ".jpg"
        return self.root / "reports" / name[:2] / f"{name}{suffix}"

    def stage(self, session: Session, name: str, full: bytes, thumb: bytes) -> None:
        """Write both files now; they are deleted unless ``session`` commits."""
        _watch(session)
        for variant, data in (("full", full), ("thumb", thumb)):
            target = self.path(name, variant)
            session.info.setdefault(_PENDING, []).append(target)
            _write_atomic(target, data)

    def delete(self, name: str) -> None:
        for variant in ("full", "thumb"):
            with contextlib.suppress(FileNotFoundError):
                self.path(name, variant).unlink()

    def orphans(self, session: Session) -> Iterator[Path]:
        """Files with no photo row (left by a crash between write and commit)."""
        known = set(session.scalars(select(Photo.name)))
        for path in (self.root / "reports").glob("*/*.jpg"):
            if path.name.split(".")[0] not in known:
                yield path


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _watch(session: Session) -> None:
    if not event.contains(session, "after_commit", _committed):
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_transaction_end", _ended)


def _committed(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    """At the end of the outermost transaction, files not committed are removed."""
    if transaction.parent is not None or transaction.nested:
        return
    for path in session.info.pop(_PENDING, []):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            log.info("removed uncommitted photo file %s", path.name)
