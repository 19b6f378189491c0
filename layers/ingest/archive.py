"""Uploads staged in a private temporary directory, and zip archives opened safely.

Why: an upload is hostile until proven otherwise. A member named ``../../etc/cron.d/x``
(zip-slip), a 40 KB zip that inflates to 40 GB (zip bomb), or a lying size header must
not touch anything outside our own temp dir nor exhaust the disk. Member names are never
used as paths: each extracted file gets a generated name, and every limit is checked both
against the headers and against the bytes actually inflated.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO

from layers.errors import InvalidInput
from layers.ingest.options import ImportLimits

_CHUNK = 1 << 20
_RATIO_FLOOR = 1_000_000  # small members may compress very well (padded .dbf) without harm


def display_name(filename: str | None) -> str:
    """The last component of a client-supplied file name, for reports only."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    return name[:255] or "upload"


def private_dir(prefix: str) -> Path:
    """A fresh temporary directory only this process's user can read."""
    return Path(tempfile.mkdtemp(prefix=prefix))  # mkdtemp creates it with mode 0700


class StagedUpload:
    """An uploaded file copied into its own private temp dir; ``cleanup()`` removes both."""

    def __init__(self, directory: Path, path: Path, filename: str, size: int) -> None:
        self.directory, self.path, self.filename, self.size = directory, path, filename, size

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> StagedUpload:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()


def too_large(limit: int) -> InvalidInput:
    return InvalidInput(f"Tệp quá lớn (tối đa {limit} byte) / file too large (limit {limit} bytes)",
                        code="file_too_large", limit_bytes=limit)


def stage_upload(stream: BinaryIO, filename: str | None, limits: ImportLimits) -> StagedUpload:
    """Copy ``stream`` to a private temp file, refusing more than ``limits.max_bytes``."""
    name = display_name(filename)
    directory = private_dir("iocmap-upload-")
    path = directory / ("upload" + PurePosixPath(name).suffix.lower()[:16])
    size = 0
    try:
        with path.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise too_large(limits.max_bytes)
                out.write(chunk)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return StagedUpload(directory, path, name, size)


def _unsafe(name: str) -> bool:
    clean = name.replace("\\", "/")
    return (clean.startswith("/") or bool(re.match(r"^[A-Za-z]:", clean)) or "\x00" in clean
            or any(part == ".." for part in clean.split("/")))


def _is_junk(name: str) -> bool:
    """macOS resource forks and folders: ``__MACOSX/`` and ``._name.shp`` are not data."""
    path = PurePosixPath(name.replace("\\", "/"))
    return "__MACOSX" in path.parts or path.name.startswith("._")


def zip_bomb(detail_vi: str, detail_en: str, **extra: object) -> InvalidInput:
    return InvalidInput(f"Tệp nén nguy hiểm: {detail_vi} / unsafe archive: {detail_en}",
                        code="zip_bomb", **extra)


def checked_members(archive: zipfile.ZipFile, limits: ImportLimits) -> list[zipfile.ZipInfo]:
    """Every data member of ``archive``, after refusing the whole archive if any is unsafe."""
    infos = archive.infolist()
    if len(infos) > limits.zip_max_members:
        raise zip_bomb(f"quá nhiều tệp ({len(infos)})", f"too many members ({len(infos)})",
                       members=len(infos), limit=limits.zip_max_members)
    total = 0
    for info in infos:
        if _unsafe(info.filename):
            raise InvalidInput(
                f"Tệp nén chứa đường dẫn không an toàn / the archive contains an unsafe path: "
                f"{info.filename[:200]!r}", code="unsafe_zip_member", member=info.filename[:200])
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InvalidInput(f"Tệp nén chứa liên kết tượng trưng / the archive contains a symbolic "
                               f"link: {info.filename[:200]!r}", code="unsafe_zip_member",
                               member=info.filename[:200])
        if info.flag_bits & 0x1:
            raise InvalidInput("Tệp nén có mật khẩu / the archive is encrypted", code="zip_encrypted")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.zip_max_ratio:
            raise zip_bomb(f"tỉ lệ nén bất thường ở {info.filename[:100]!r}",
                           f"abnormal compression ratio in {info.filename[:100]!r}",
                           member=info.filename[:200], limit_ratio=limits.zip_max_ratio)
    if total > limits.zip_max_uncompressed_bytes:
        raise zip_bomb(f"giải nén ra {total} byte", f"it would inflate to {total} bytes",
                       uncompressed_bytes=total, limit=limits.zip_max_uncompressed_bytes)
    return [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput("Tệp nén ZIP bị hỏng / the ZIP archive is corrupt", code="bad_zip") from exc


def extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path,
                   limits: ImportLimits, budget: list[int]) -> Path:
    """Inflate one member to ``target`` (a name we chose), trusting no header.

    ``budget`` is a one-item list of bytes still allowed for the whole archive.
    """
    written = 0
    try:
        with archive.open(info) as src, target.open("wb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                budget[0] -= len(chunk)
                if written > info.file_size or budget[0] < 0:
                    raise zip_bomb("kích thước thật lớn hơn khai báo", "inflates beyond its declared size",
                                   member=info.filename[:200])
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise InvalidInput(f"Không giải nén được {info.filename[:100]!r} / cannot extract "
                           f"{info.filename[:100]!r}", code="bad_zip") from exc
    return target
