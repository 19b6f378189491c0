"""Shared by the feedback tests (layers and API): places in Đắk Mil, images, submissions."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from layers.feedback import reports
from layers.feedback.media import MediaStore

# Thị trấn Đắk Mil (GSO 24664; "Xã Đức Lập" from 1 July 2025, same code).
TOWN = (107.62237, 12.44957)
OUTSIDE = (105.85, 21.03)  # Hà Nội
METRE_LAT = 1 / 111_320  # degrees of latitude per metre, near enough at 12.4° N
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Vietnam


def near(point: tuple[float, float], metres_north: float) -> tuple[float, float]:
    return (point[0], point[1] + metres_north * METRE_LAT)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: Any = (200, 30, 30),
                mode: str = "RGB", exif: Image.Exif | None = None) -> bytes:
    buf = io.BytesIO()
    image = Image.new(mode, size, color)
    kwargs: dict[str, Any] = {"exif": exif} if exif is not None else {}
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    exif[0x0110] = "SecretModel X"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (12.0, 26.0, 58.0)
    gps[3], gps[4] = "E", (107.0, 37.0, 20.0)
    return exif


def new_report(**kw: Any) -> reports.NewReport:
    lon, lat = kw.pop("point", TOWN)
    values: dict[str, Any] = {"category": "roads", "title": "Ổ gà lớn trước chợ",
                              "description": "Ổ gà sâu khoảng 20 cm, xe máy dễ ngã.", "lon": lon, "lat": lat}
    values.update(kw)
    return reports.NewReport(**values)


def submit(db: Any, media: MediaStore, *, uploads: list[bytes] | None = None, user: Any = None,
           ip: str = "203.0.113.7", key: str | None = None, now: datetime | None = None,
           limits: reports.Limits | None = None, **kw: Any) -> reports.Submitted:
    return reports.submit(db, new_report(**kw), uploads or [], submitter=reports.Submitter(user=user, ip=ip),
                          media=media, idempotency_key=key, now=now or NOW,
                          limits=limits or reports.Limits(anon_limit=1000))


def media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())
