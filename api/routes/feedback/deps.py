"""Parsing the submission body (JSON, or multipart with photos) and small shared dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api.deps import SettingsDep
from api.routes.feedback.schemas import ReportCreate
from gis.geojson import feature, feature_collection
from layers.errors import InvalidInput
from layers.feedback import photos
from layers.feedback.media import MediaStore

#: Multipart bodies may carry 5 photos of 10 MiB plus the fields.
UPLOAD_MAX_BYTES = photos.MAX_PHOTOS * photos.MAX_BYTES + 1_000_000
FORM_FIELDS = ("report", "photos")
MAX_REPORT_PART = 64_000


@dataclass
class Submission:
    body: ReportCreate
    uploads: list[bytes]


def _validated(raw: bytes | str, loc: tuple[str, ...]) -> ReportCreate:
    try:
        return ReportCreate.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": (*loc, *err.get("loc", ()))} for err in exc.errors(include_context=False)]
        ) from None


async def _from_form(request: Request) -> Submission:
    form = await request.form(max_files=50, max_fields=20, max_part_size=MAX_REPORT_PART)
    unknown = sorted({key for key in form if key not in FORM_FIELDS})
    if unknown:
        raise InvalidInput(f"Trường không hợp lệ / unknown form field: {unknown[0]}",
                           code="unknown_field", allowed=list(FORM_FIELDS))
    parts = form.getlist("report")
    if len(parts) != 1:
        raise InvalidInput("Cần đúng một phần 'report' (JSON) / exactly one 'report' part (JSON) "
                           "is required", code="report_part_required")
    part = parts[0]
    raw: Any = await part.read(MAX_REPORT_PART + 1) if isinstance(part, UploadFile) else part
    if len(raw) > MAX_REPORT_PART:
        raise InvalidInput("Phần 'report' quá lớn / the 'report' part is too large",
                           code="report_part_too_large")
    body = _validated(raw, ("body", "report"))
    files = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
    if len(files) != len(form.getlist("photos")):
        raise InvalidInput("'photos' phải là tệp / 'photos' must be files", code="photos_not_files")
    files = [f for f in files if f.filename or (f.size or 0) > 0]  # an empty <input type=file>
    photos.check_count(len(files))
    # One byte over the limit is enough to refuse; a larger file is never read whole.
    uploads = [await f.read(photos.MAX_BYTES + 1) for f in files]
    return Submission(body=body, uploads=uploads)


async def parse_submission(request: Request) -> Submission:
    """``application/json`` (no photos) or ``multipart/form-data`` with a ``report`` part."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await _from_form(request)
    if content_type in ("application/json", ""):
        return Submission(body=_validated(await request.body() or b"{}", ("body",)), uploads=[])
    raise HTTPException(415, detail="Chỉ nhận application/json hoặc multipart/form-data / only "
                                    "application/json or multipart/form-data")


SubmissionDep = Annotated[Submission, Depends(parse_submission)]


def media_store(settings: SettingsDep) -> MediaStore:
    return MediaStore(settings.media_path)


MediaDep = Annotated[MediaStore, Depends(media_store)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """`minLon,minLat,maxLon,maxLat` in WGS84, or None."""
    if raw is None:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in raw.split(","))
    except ValueError:
        raise InvalidInput("bbox = minLon,minLat,maxLon,maxLat", code="bad_bbox") from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidInput("bbox ngoài phạm vi / bbox out of range", code="bad_bbox")
    return (minx, miny, maxx, maxy)


def points_collection(rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Light map points (no text) as a GeoJSON FeatureCollection."""
    return feature_collection([
        feature({"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]}, {
            "code": r["code"], "status": r["status"], "category": r["category"], "icon": r["icon"],
            "precision": r["location_precision"], "supporters": r["supporters"],
            "overdue": r["status"] in ("received", "assigned", "in_progress") and r["due_at"] < now,
        }, feature_id=r["code"]) for r in rows
    ])
