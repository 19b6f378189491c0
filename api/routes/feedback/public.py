"""Citizens' side: submit, follow by code or private link, "me too", confirm or dispute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse

from api.deps import ANY_USER, PUBLIC, PrincipalDep, SessionDep, SettingsDep
from api.geojson import GeoJSONResponse
from api.routes.feedback import schemas as s
from api.routes.feedback.deps import MediaDep, SubmissionDep, client_ip, parse_bbox, points_collection
from gis.geojson import feature, feature_collection
from layers.errors import NotFound
from layers.feedback import clusters, moderation, queries, reports, views, workflow
from layers.models import User

router = APIRouter(prefix="/api/v1/reports", tags=["feedback: citizens"])

Code = Annotated[str, Path(pattern=s.CODE_PATTERN, description="Mã theo dõi / tracking code, DM-2026-000123")]
Token = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
Lon = Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)]
CategoryQ = Annotated[str | None, Query(max_length=64, description="category code")]
STAFF = ("admin", "leader", "officer")


def _now() -> datetime:
    return datetime.now(UTC)


def _created(result: reports.Submitted, session: SessionDep) -> dict[str, Any]:
    out = views.private(result.report, _now(), timeline=queries.timeline(session, result.report))
    return {**out, "private_token": result.private_token,
            "private_url": f"/api/v1/reports/private/{result.private_token}"}


@router.post(
    "", status_code=201, response_model=s.ReportCreated, dependencies=[Depends(PUBLIC)],
    summary="Gửi phản ánh / submit a report",
    description="`application/json` with a `ReportCreate` body, or `multipart/form-data` with a "
    "`report` part (the same JSON) and up to 5 `photos` (JPEG, PNG, WebP, HEIC; ≤ 10 MB and "
    "≤ 40 megapixels each; re-encoded, EXIF removed). Send an `Idempotency-Key` header to retry "
    "safely: the same key and body return the original report (200), a different body is 409. "
    "The response holds the private token, shown only here: it opens the reporter's own view. "
    "Anonymous submissions are limited per IP (429 with Retry-After).",
    responses={200: {"description": "idempotent replay"}, 409: {"description": "key reused"},
               415: {"description": "unsupported content type"}, 422: {"description": "invalid"},
               429: {"description": "rate limited"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": s.ReportCreate.model_json_schema()},
        "multipart/form-data": {"schema": {"type": "object", "required": ["report"], "properties": {
            "report": {"type": "string", "description": "ReportCreate as JSON"},
            "photos": {"type": "array", "maxItems": 5, "items": {"type": "string", "format": "binary"}},
        }}}}}},
)
def submit(
    submission: SubmissionDep, request: Request, response: Response, session: SessionDep,
    settings: SettingsDep, principal: PrincipalDep, media: MediaDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Any:
    body = submission.body
    result = reports.submit(
        session, reports.NewReport(**body.model_dump()), submission.uploads,
        submitter=reports.Submitter(user=principal.user, ip=client_ip(request)), media=media,
        idempotency_key=idempotency_key,
        limits=reports.Limits(anon_limit=settings.feedback_anon_limit,
                              anon_window=timedelta(minutes=settings.feedback_anon_window_minutes)),
    )
    if not result.created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/reports/{result.report.code}"
    return _created(result, session)


@router.get("", response_model=s.ReportPage, dependencies=[Depends(PUBLIC)],
            summary="Danh sách phản ánh / list reports",
            description="Newest first. Public data only; `bbox=minLon,minLat,maxLon,maxLat`.")
def list_reports(
    session: SessionDep,
    status: Annotated[list[str] | None, Query(max_length=7)] = None,
    category: CategoryQ = None,
    commune: Annotated[str | None, Query(pattern=s.COMMUNE_PATTERN)] = None,
    bbox: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    f = queries.Filters(statuses=tuple(status or ()), category=category, commune=commune,
                        bbox=parse_bbox(bbox), since=since, until=until, limit=limit, offset=offset)
    items, _ = queries.list_reports(session, f)
    now = _now()
    return {"items": [views.public(r, now) for r in items], "limit": limit, "offset": offset,
            "next_offset": offset + limit if len(items) == limit else None}


@router.get("/geojson", response_class=GeoJSONResponse, dependencies=[Depends(PUBLIC)],
            summary="Phản ánh trên bản đồ (GeoJSON) / reports as map points",
            description="At most 5000 newest points in the filter; no text. For clusters at "
            "district zoom use the aggregated endpoints.")
def reports_geojson(
    session: SessionDep,
    status: Annotated[list[str] | None, Query(max_length=7)] = None,
    category: CategoryQ = None,
    bbox: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
) -> Any:
    f = queries.Filters(statuses=tuple(status or ()), category=category, bbox=parse_bbox(bbox), since=since)
    return points_collection(queries.as_points(session, f), _now())


@router.get("/clusters", response_class=GeoJSONResponse, dependencies=[Depends(PUBLIC)],
            summary="Bản đồ phản ánh theo nhóm / the public map: clusters or points",
            description="What the public map draws for a view: `bbox=minLon,minLat,maxLon,maxLat` "
            "(WGS84) and the map's `zoom` (0-22). Below zoom 17: clusters of H3 cells counted in "
            "the database (`kind: cluster`; `count`, counts by `statuses` and `categories`, the "
            "dominant `status` and `category`; the point is the mean position of the cluster's "
            "reports), or the reports themselves when the view holds at most 200. From zoom 17: "
            "the reports (`kind: report`, the fields of `/geojson`, at most 5000 newest). "
            "`meta` says which (`mode`, `resolution`, `total`, `truncated`). Public data only.",
            responses={422: {"description": "bad bbox, zoom, status or category"}})
def report_clusters(
    session: SessionDep,
    bbox: Annotated[str, Query(max_length=100, description="minLon,minLat,maxLon,maxLat")],
    zoom: Annotated[int, Query(ge=0, le=clusters.MAX_ZOOM)],
    status: Annotated[list[str] | None, Query(max_length=7)] = None,
    category: CategoryQ = None,
) -> Any:
    box = parse_bbox(bbox)
    assert box is not None
    now = _now()
    view = clusters.map_view(session, box, zoom, statuses=tuple(status or ()), category=category, now=now)
    meta = {"mode": view.mode, "zoom": view.zoom, "resolution": view.resolution, "source": view.source,
            "total": view.total, "truncated": view.truncated}
    if view.mode == "points":
        points = points_collection(view.points, now)["features"]
        for f in points:
            f["properties"]["kind"] = "report"
        return feature_collection(points, meta=meta)
    return feature_collection([
        feature({"type": "Point", "coordinates": [round(c.lon, 6), round(c.lat, 6)]}, {
            "kind": "cluster", "cell": f"{c.cell:x}", "count": c.count,
            "status": next(iter(c.statuses), None), "category": next(iter(c.categories), None),
            "statuses": c.statuses, "categories": c.categories,
        }, feature_id=f"cell-{c.cell:x}") for c in view.clusters
    ], meta=meta)


@router.get("/nearby", response_model=s.NearbyResult, dependencies=[Depends(PUBLIC)],
            summary="Phản ánh tương tự gần đây / open reports nearby",
            description="Open reports (received, assigned, in progress) within 50 m received in "
            "the last 30 days, nearest first: offer \"me too\" instead of a duplicate.")
def nearby(session: SessionDep, lon: Lon, lat: Lat, category: CategoryQ = None) -> Any:
    now = _now()
    found = queries.nearby(session, lon, lat, category, now)
    return {"radius_m": queries.NEARBY_METRES, "days": queries.NEARBY_DAYS,
            "items": [{**views.public(r, now), "distance_m": round(d, 1)} for r, d in found]}


@router.get("/mine", response_model=list[s.ReportPrivate], dependencies=[Depends(ANY_USER)],
            summary="Phản ánh của tôi / my reports", description="Reports sent while signed in.")
def mine(session: SessionDep, user: Annotated[User, Depends(ANY_USER)]) -> Any:
    now = _now()
    return [views.private(r, now, timeline=[]) for r in queries.mine(session, user)]


@router.get("/private/{token}", response_model=s.ReportPrivate, dependencies=[Depends(PUBLIC)],
            summary="Xem phản ánh của mình qua liên kết riêng / the reporter's private view")
def private_view(token: Token, session: SessionDep) -> Any:
    report = queries.by_token(session, token)
    return views.private(report, _now(), timeline=queries.timeline(session, report))


@router.post("/private/{token}/feedback", response_model=s.ReportPrivate, dependencies=[Depends(PUBLIC)],
             summary="Xác nhận hoặc không đồng ý kết quả / confirm or dispute the result",
             description="Within 7 days of resolution: `confirm` closes the report, `dispute` "
             "reopens it (in progress) and escalates it to leaders. Rating 1-5.",
             responses={409: {"description": "not resolved, or the 7-day window closed"}})
def citizen_feedback(token: Token, body: s.CitizenFeedback, session: SessionDep) -> Any:
    report = queries.by_token(session, token)
    report = workflow.citizen_feedback(session, report, confirm=body.outcome == "confirm",
                                       rating=body.rating, comment=body.comment)
    return views.private(report, _now(), timeline=queries.timeline(session, report))


@router.get("/{code}", response_model=s.ReportPublic, dependencies=[Depends(PUBLIC)],
            summary="Theo dõi phản ánh theo mã / follow a report by code",
            responses={404: {"description": "no such report"}})
def get_report(code: Code, session: SessionDep) -> Any:
    report = queries.by_code(session, code)
    return views.public(report, _now(), timeline=queries.timeline(session, report))


@router.get("/{code}/photos/{photo_id}", response_class=FileResponse, dependencies=[Depends(PUBLIC)],
            summary="Ảnh của phản ánh / a report's photo",
            description="`size=thumb` for the 320 px thumbnail. Hidden photos are 404 except for staff.",
            responses={200: {"content": {"image/jpeg": {}}}, 404: {"description": "no such photo"}})
def photo(
    code: Code, photo_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: PrincipalDep,
    media: MediaDep, size: Annotated[str, Query(pattern="^(full|thumb)$")] = "full",
) -> FileResponse:
    staff = principal.user is not None and principal.user.role in STAFF
    p = moderation.photo_for_serving(session, code, photo_id, staff=staff)
    path = media.path(p.name, size)
    if not path.is_file():
        raise NotFound("Không có ảnh / no such photo", code="photo_not_found")
    cache = "private, no-store" if p.hidden else "public, max-age=300"
    return FileResponse(path, media_type=p.media_type, headers={
        "Cache-Control": cache, "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"})


@router.post("/{code}/support", response_model=s.SupportResult, dependencies=[Depends(PUBLIC)],
             summary="Tôi cũng gặp vấn đề này / me too",
             description="Once per account or anonymous browser; repeating changes nothing.",
             responses={409: {"description": "report not open"}})
def support(code: Code, request: Request, session: SessionDep, principal: PrincipalDep) -> Any:
    fp = queries.fingerprint(principal.user, client_ip(request), request.headers.get("user-agent"))
    report, added = queries.support(session, code, fp)
    return {"code": report.code, "supporters": report.supporters, "added": added}
