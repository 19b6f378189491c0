"""Incidents (sự cố): staff record them, follow them through a timeline and close them.

Read: admin, leader, planner, officer (all incidents: operational awareness across
agencies). Write: admin, leader, and officers for their own agencies' incidents. Citizens
and anonymous visitors get nothing (see ``layers.incidents.views``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.deps import RequireRoles, SessionDep
from api.geojson import GeoJSONResponse
from api.routes.analytics import parse_bbox
from layers.incidents import kinds, queries, service, views
from layers.models import User

READ = RequireRoles("admin", "leader", "planner", "officer")
WRITE = RequireRoles("admin", "leader", "officer")
Reader = Annotated[User, Depends(READ)]
Writer = Annotated[User, Depends(WRITE)]
CODE_PATTERN = r"^SC-[0-9]{4}-[0-9]{6,9}$"
REPORT_CODE_PATTERN = r"^DM-[0-9]{4}-[0-9]{6,9}$"
Code = Annotated[str, Path(pattern=CODE_PATTERN, description="Mã sự cố / incident code, SC-2026-000001")]

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Severity = Annotated[int | str, Field(description="1-4 or low / medium / high / critical")]


class IncidentCreate(Strict):
    type: str = Field(
        max_length=32,
        description="fire, flood, landslide, drought, storm_damage, "
        "traffic_accident, power_outage, water_outage, animal_disease, public_order, other",
    )
    title: str = Field(min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    severity: Severity
    geometry: dict[str, Any] = Field(description="GeoJSON Point, Polygon or MultiPolygon (lon, lat)")
    agency: str | None = Field(
        default=None, max_length=64, description="agency code; optional for an officer of exactly one agency"
    )
    occurred_at: AwareDatetime | None = None
    reports: list[str] = Field(default_factory=list, max_length=200, description="tracking codes")
    note: str | None = Field(default=None, max_length=4000)


class IncidentUpdate(Strict):
    type: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    severity: Severity | None = None
    geometry: dict[str, Any] | None = None
    agency: str | None = Field(default=None, max_length=64)
    occurred_at: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=4000)


class TransitionRequest(Strict):
    to: str = Field(max_length=16, description="responding, contained, closed")
    note: str | None = Field(default=None, max_length=4000, description="required to close and to reopen")


class NoteRequest(Strict):
    note: str = Field(min_length=1, max_length=4000)


class LinkRequest(Strict):
    reports: list[str] = Field(min_length=1, max_length=200)
    note: str | None = Field(default=None, max_length=4000)


def _filters(
    status: Annotated[list[str] | None, Query(max_length=4)] = None,
    active: bool | None = None,
    type: Annotated[str | None, Query(max_length=32)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    commune: Annotated[str | None, Query(pattern=r"^[0-9]{2,5}$")] = None,
    min_severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    bbox: Annotated[str | None, Query(max_length=100, description="minLon,minLat,maxLon,maxLat")] = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> queries.Filters:
    return queries.Filters(
        statuses=tuple(status or ()),
        active=active,
        type=type,
        agency=agency,
        commune=commune,
        min_severity=min_severity,
        bbox=parse_bbox(bbox),
        since=start,
        until=end,
        limit=limit,
        offset=offset,
    )


FiltersDep = Annotated[queries.Filters, Depends(_filters)]


def _today() -> date:
    return datetime.now(UTC).date()


@router.get(
    "",
    summary="Danh sách sự cố / incidents",
    description="Newest first. Filters: status (repeatable), active, type, agency, commune, "
    "min_severity, bbox, start/end (occurred_at).",
)
def list_incidents(session: SessionDep, user: Reader, f: FiltersDep) -> Any:
    items, total = queries.list_incidents(session, f)
    return {"items": [views.summary(i) for i in items], "total": total, "limit": f.limit, "offset": f.offset}


@router.get(
    "/map",
    response_class=GeoJSONResponse,
    summary="Sự cố trên bản đồ / incidents as a map layer",
    description="Points and affected areas as GeoJSON (at most 5000), same filters as the list.",
)
def incidents_map(session: SessionDep, user: Reader, f: FiltersDep) -> Any:
    features = [views.feature(r) for r in queries.as_features(session, f)]
    return {"type": "FeatureCollection", "features": features}


@router.get(
    "/types",
    summary="Loại, mức độ, trạng thái / types, severities, statuses",
    description="With Vietnamese and English labels and the allowed status moves.",
)
def incident_catalogue(user: Reader) -> Any:
    return kinds.catalogue()


@router.post(
    "",
    status_code=201,
    summary="Ghi nhận sự cố / record an incident",
    responses={
        403: {"description": "an officer naming another agency"},
        422: {"description": "bad input, outside the district"},
    },
)
def create_incident(body: IncidentCreate, session: SessionDep, user: Writer) -> Any:
    new = service.NewIncident(**{**body.model_dump(), "reports": tuple(body.reports)})
    incident = service.create(session, new, user)
    return views.detail(session, incident, user, _today())


@router.get(
    "/{code}",
    summary="Chi tiết sự cố / one incident",
    description="With the geometry, the communes it touches (boundaries valid today, or "
    "on `date`), linked reports, the timeline and the moves you may make.",
)
def get_incident(
    code: Code,
    session: SessionDep,
    user: Reader,
    on: Annotated[date | None, Query(alias="date", description="boundaries valid on (default today)")] = None,
) -> Any:
    return views.detail(session, queries.by_code(session, code), user, on or _today())


@router.patch(
    "/{code}",
    summary="Sửa sự cố / edit an incident",
    description="Changed fields and their old values are recorded in the timeline.",
)
def update_incident(code: Code, body: IncidentUpdate, session: SessionDep, user: Writer) -> Any:
    incident = service.update(session, code, service.Changes(**body.model_dump()), user)
    return views.detail(session, incident, user, _today())


@router.post(
    "/{code}/transitions",
    summary="Chuyển trạng thái / move an incident",
    description="reported→responding|contained|closed; responding→contained|closed; "
    "contained→responding|closed; closed→responding (reopen). A note is required to close "
    "and to reopen.",
    responses={409: {"description": "transition not allowed"}},
)
def move_incident(code: Code, body: TransitionRequest, session: SessionDep, user: Writer) -> Any:
    incident = service.transition(session, code, body.to, user, note=body.note)
    return views.detail(session, incident, user, _today())


@router.post("/{code}/notes", summary="Thêm diễn biến / add a timeline note")
def add_note(code: Code, body: NoteRequest, session: SessionDep, user: Writer) -> Any:
    incident = service.add_note(session, code, body.note, user)
    return views.detail(session, incident, user, _today())


@router.post(
    "/{code}/reports",
    summary="Gắn phản ánh / link citizen reports",
    description="By tracking code; already linked reports are kept as they are.",
)
def link_reports(code: Code, body: LinkRequest, session: SessionDep, user: Writer) -> Any:
    incident = service.link_reports(session, code, body.reports, user, note=body.note)
    return views.detail(session, incident, user, _today())


@router.delete("/{code}/reports", summary="Bỏ gắn phản ánh / unlink a report")
def unlink_report(
    code: Code, session: SessionDep, user: Writer, report: Annotated[str, Query(pattern=REPORT_CODE_PATTERN)]
) -> Any:
    incident = service.unlink_report(session, code, report, user)
    return views.detail(session, incident, user, _today())
