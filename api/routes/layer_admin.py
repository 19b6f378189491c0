"""Planners' layer management: metadata, uploads (sync or background), preview, versions.

Only planners and admins reach these routes. Public reads of the catalogue live in
``api/routes/layers.py``, which is included first, so no GET here may look like
``/api/v1/layers/{slug}`` or ``.../features``; jobs live under ``/api/v1/import-jobs``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.deps import RequireRoles, SessionDep, SettingsDep
from api.schemas import Strict
from layers import layer_admin
from layers.ingest import jobs, pipeline
from layers.ingest.archive import stage_upload
from layers.ingest.options import ImportLimits, ImportOptions
from layers.models import User

#: Paths whose bodies may be as large as ``settings.upload_max_bytes`` (see api/app.py).
UPLOAD_PATHS = re.compile(r"/api/v1/layers/[^/]+/(?:uploads|preview)")

router = APIRouter(prefix="/api/v1", tags=["layer management"])
Planner = Annotated[User, Depends(RequireRoles("admin", "planner"))]
Slug = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")]
Version = Annotated[int, Path(ge=1, le=1_000_000)]
Group = Literal["infrastructure", "incidents", "feedback", "boundaries", "planning", "other"]


class AttributeEdit(Strict):
    name: str = Field(max_length=200)
    label_vi: str | None = Field(default=None, max_length=200)
    label_en: str | None = Field(default=None, max_length=200)
    popup: bool | None = None


class LayerFields(Strict):
    title_vi: str | None = Field(default=None, max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    description_vi: str | None = Field(default=None, max_length=5000)
    description_en: str | None = Field(default=None, max_length=5000)
    group: Group | None = None
    source: str | None = Field(default=None, max_length=2000)
    licence: str | None = Field(default=None, max_length=2000)
    visibility: Literal["public", "internal"] | None = None
    min_zoom: int | None = Field(default=None, ge=0, le=24)
    max_zoom: int | None = Field(default=None, ge=0, le=24)
    style: dict[str, Any] | None = None
    default_on: bool | None = None
    sort_order: int | None = Field(default=None, ge=0, le=10_000)
    time_field: str | None = Field(default=None, max_length=64)
    attributes: list[AttributeEdit] | None = Field(default=None, max_length=500)

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, exclude={"slug"})
        if "group" in data:
            data["layer_group"] = data.pop("group")
        return data


class LayerCreate(LayerFields):
    slug: str = Field(max_length=100)
    title_vi: str = Field(min_length=1, max_length=200)  # type: ignore[assignment]


class LayerUpdate(LayerFields):
    pass


class LayerAdmin(BaseModel):
    slug: str
    title_vi: str
    title_en: str
    description_vi: str | None
    description_en: str | None
    group: str
    kind: str
    source: str | None
    licence: str | None
    geometry_type: str
    visibility: str
    style: dict[str, Any]
    default_on: bool
    sort_order: int
    min_zoom: int
    max_zoom: int
    version: int
    attributes: list[dict[str, Any]]
    time_field: str | None
    created_at: datetime | None
    updated_at: datetime | None
    created_by: str | None
    updated_by: str | None


class VersionSummary(BaseModel):
    version: int
    current: bool
    created_at: datetime | None
    created_by: str | None
    source_filename: str | None
    source_format: str | None
    source_crs: str | None
    source_encoding: str | None
    feature_count: int
    bbox: list[float] | None
    geometry_type: str | None
    repaired_count: int
    rejected_count: int


class ImportResult(BaseModel):
    version: int
    report: dict[str, Any]


class JobQueued(BaseModel):
    job_id: str
    status: str
    status_url: str


class ImportJobPublic(BaseModel):
    id: str
    layer_slug: str | None
    status: str
    progress: int
    total: int | None
    message: str | None
    result: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


class UploadForm(BaseModel):
    """Optional choices sent with the file (multipart form fields)."""

    crs: str | None = Field(default=None, max_length=10_000,
                            description="EPSG:…, VN2000-TM3-108.5, or .prj text")
    encoding: str | None = Field(default=None, max_length=40, description="utf-8, cp1258, tcvn3, vni")
    table: str | None = Field(default=None, max_length=300,
                              description="GeoPackage table / Shapefile / KML folder")
    lon: str | None = Field(default=None, max_length=200, description="CSV longitude/x column")
    lat: str | None = Field(default=None, max_length=200, description="CSV latitude/y column")
    wkt: str | None = Field(default=None, max_length=200, description="CSV WKT column")
    geometry: Literal["point", "line", "polygon"] | None = Field(
        default=None, description="keep only this geometry family when the file mixes them")
    background: bool | None = Field(default=None,
                                    description="force (true) or forbid (false) a background job")

    def options(self) -> ImportOptions:
        return ImportOptions(**{k: (v.strip() or None) if isinstance(v, str) else v
                                for k, v in self.model_dump(exclude={"background"}).items()})


Upload = Annotated[UploadFile, File(description="GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ or CSV")]
FormDep = Annotated[UploadForm, Form()]


@router.post("/layers", status_code=201, response_model=LayerAdmin, summary="Tạo lớp / create a layer")
def create_layer(body: LayerCreate, session: SessionDep, user: Planner) -> Any:
    layer = layer_admin.create_layer(session, body.slug, body.changes(), user.id)
    session.flush()
    return layer_admin.layer_view(session, layer)


@router.get("/layers/{slug}/admin", response_model=LayerAdmin,
            summary="Toàn bộ thông tin quản trị một lớp / a layer's full management view")
def layer_details(slug: Slug, session: SessionDep, user: Planner) -> Any:
    return layer_admin.layer_view(session, layer_admin.managed_layer(session, slug))


@router.patch("/layers/{slug}", response_model=LayerAdmin, summary="Sửa thông tin lớp / edit layer metadata")
def update_layer(slug: Slug, body: LayerUpdate, session: SessionDep, user: Planner) -> Any:
    return layer_admin.layer_view(session, layer_admin.update_layer(session, slug, body.changes(), user.id))


@router.delete("/layers/{slug}", status_code=204, response_class=Response, summary="Xóa lớp / delete a layer")
def delete_layer(slug: Slug, session: SessionDep, user: Planner) -> Response:
    layer_admin.delete_layer(session, slug)
    return Response(status_code=204)


@router.post("/layers/{slug}/uploads", response_model=ImportResult,
             responses={202: {"model": JobQueued, "description": "large file: imported in the background"}},
             summary="Tải lên phiên bản mới / upload a new version")
def upload(slug: Slug, file: Upload, form: FormDep, request: Request, tasks: BackgroundTasks,
           session: SessionDep, settings: SettingsDep, user: Planner) -> Any:
    """Small files are imported at once and answer the report; large ones (or ``background=true``)
    answer 202 with a job to poll at ``status_url``."""
    limits = ImportLimits.from_settings(settings)
    staged = stage_upload(file.file, file.filename, limits)
    if form.background or (form.background is None and staged.size > settings.import_background_bytes):
        job = jobs.queue_import(session, slug, staged, user.id)
        tasks.add_task(jobs.run_import_job, request.app.state.sessionmaker, job.id, slug, staged,
                       form.options(), limits, user.id)
        url = f"/api/v1/import-jobs/{job.id}"
        return JSONResponse({"job_id": job.id, "status": job.status, "status_url": url}, status_code=202,
                            headers={"Location": url})
    with staged:
        version, report = pipeline.import_file(session, slug, staged.path, staged.filename, form.options(),
                                               limits, user.id)
    return ImportResult(version=version.version, report=report)


@router.post("/layers/{slug}/preview", summary="Xem trước tệp (không ghi) / preview a file without importing")
def preview(slug: Slug, file: Upload, form: FormDep, session: SessionDep, settings: SettingsDep,
            user: Planner) -> dict[str, Any]:
    """The import report, attribute schema and the first 50 features as GeoJSON."""
    limits = ImportLimits.from_settings(settings)
    with stage_upload(file.file, file.filename, limits) as staged:
        return pipeline.preview_file(session, slug, staged.path, staged.filename, form.options(), limits)


@router.get("/import-jobs/{job_id}", response_model=ImportJobPublic,
            summary="Tiến độ nhập / import job status")
def import_job(job_id: Annotated[str, Path(max_length=64)], session: SessionDep, settings: SettingsDep,
               user: Planner) -> Any:
    return jobs.get_job(session, job_id, timedelta(minutes=settings.import_job_timeout_minutes))


@router.get("/layers/{slug}/versions", response_model=list[VersionSummary],
            summary="Các phiên bản / versions, newest first")
def list_versions(slug: Slug, session: SessionDep, user: Planner) -> Any:
    return layer_admin.versions(session, slug)


@router.get("/layers/{slug}/versions/diff", summary="So sánh hai phiên bản / compare two versions")
def diff_versions(slug: Slug, a: Annotated[int, Query(ge=1)], b: Annotated[int, Query(ge=1)],
                  session: SessionDep, user: Planner) -> dict[str, Any]:
    return layer_admin.diff_versions(session, slug, a, b)


@router.get("/layers/{slug}/versions/{n}",
            summary="Một phiên bản và báo cáo nhập / one version and its import report")
def version_detail(slug: Slug, n: Version, session: SessionDep, user: Planner) -> dict[str, Any]:
    return layer_admin.version_detail(session, slug, n)


@router.post("/layers/{slug}/versions/{n}/restore", response_model=VersionSummary,
             summary="Khôi phục phiên bản / make an earlier version current")
def restore_version(slug: Slug, n: Version, session: SessionDep, user: Planner) -> Any:
    return layer_admin.restore(session, slug, n, user.id)
