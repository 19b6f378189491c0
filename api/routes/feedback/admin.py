"""Configuration: categories, routing rules (public to read: routing is explainable), the
holiday calendar, response templates, and the routing preview shown on the citizen form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import ADMIN, PUBLIC, PrincipalDep, RequireRoles, SessionDep
from api.routes.feedback import config_schemas as s
from layers.feedback import calendar, categories, reports, routing, templates, workflow
from layers.feedback.models import Category, ResponseTemplate, RoutingRule
from layers.models import User

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback: configuration"])
STAFF = RequireRoles("admin", "leader", "officer")
Slug = Annotated[str, Path(pattern=s.SLUG_PATTERN)]
STAFF_ROLES = ("admin", "leader", "planner", "officer")


def _category(c: Category) -> dict[str, Any]:
    return {k: getattr(c, k) for k in s.CategoryOut.model_fields}


@router.get("/categories", response_model=list[s.CategoryOut], dependencies=[Depends(PUBLIC)],
            summary="Lĩnh vực phản ánh / categories",
            description="Active categories; staff may add `include_inactive=true`.")
def list_categories(session: SessionDep, principal: PrincipalDep, include_inactive: bool = False) -> Any:
    staff = principal.user is not None and principal.user.role in STAFF_ROLES
    return [_category(c) for c in categories.list_categories(session, include_inactive=include_inactive
                                                             and staff)]


@router.post("/categories", response_model=s.CategoryOut, status_code=201, dependencies=[Depends(ADMIN)],
             summary="Thêm lĩnh vực / add a category",
             description="Add a routing rule for it too, or the catch-all rule will route it.")
def create_category(body: s.CategoryCreate, session: SessionDep) -> Any:
    return _category(categories.create_category(session, body.model_dump(exclude_unset=True)))


@router.get("/categories/{code}", response_model=s.CategoryOut, dependencies=[Depends(PUBLIC)],
            summary="Một lĩnh vực / one category")
def get_category(code: Slug, session: SessionDep) -> Any:
    return _category(categories.get_category(session, code))


@router.patch("/categories/{code}", response_model=s.CategoryOut, dependencies=[Depends(ADMIN)],
              summary="Sửa lĩnh vực / edit a category",
              description="`active=false` retires it (reports keep it). Deadline changes apply to "
              "new reports.")
def update_category(code: Slug, body: s.CategoryUpdate, session: SessionDep) -> Any:
    category = categories.get_category(session, code)
    values = body.model_dump(exclude_unset=True)
    return _category(categories.update_category(session, category, values))


def _rule(r: RoutingRule) -> dict[str, Any]:
    return {"code": r.code, "category": r.category.code if r.category else None,
            "commune_code": r.commune_code, "target": r.target,
            "agency": {"code": r.agency.code, "name_vi": r.agency.name_vi, "name_en": r.agency.name_en}
            if r.agency else None,
            "priority": r.priority, "active": r.active, "note_vi": r.note_vi, "note_en": r.note_en}


@router.get("/routing-rules", response_model=list[s.RuleOut], dependencies=[Depends(PUBLIC)],
            summary="Quy tắc chuyển phản ánh / routing rules",
            description="In the order they are tried: category+commune, category, commune, "
            "catch-all; then by priority. Public, so anyone can see why a report went where it went.")
def list_rules(session: SessionDep) -> Any:
    return [_rule(r) for r in routing.list_rules(session)]


@router.post("/routing-rules", response_model=s.RuleOut, status_code=201, dependencies=[Depends(ADMIN)],
             summary="Thêm quy tắc / add a rule")
def create_rule(body: s.RuleCreate, session: SessionDep) -> Any:
    return _rule(routing.create_rule(session, body.model_dump(exclude_unset=True)))


@router.patch("/routing-rules/{code}", response_model=s.RuleOut, dependencies=[Depends(ADMIN)],
              summary="Sửa quy tắc / edit a rule")
def update_rule(code: Slug, body: s.RuleUpdate, session: SessionDep) -> Any:
    rule = routing.get_rule(session, code)
    return _rule(routing.update_rule(session, rule, body.model_dump(exclude_unset=True)))


@router.delete("/routing-rules/{code}", status_code=204, dependencies=[Depends(ADMIN)],
               summary="Xóa quy tắc / delete a rule")
def delete_rule(code: Slug, session: SessionDep) -> Response:
    routing.delete_rule(session, routing.get_rule(session, code))
    return Response(status_code=204)


@router.get("/routing/preview", response_model=s.RoutePreview, dependencies=[Depends(PUBLIC)],
            summary="Phản ánh sẽ được chuyển tới đâu / where a report would go",
            description="For the form: the agency, the rule and the deadline if sent now.")
def preview(
    session: SessionDep, category: Annotated[str, Query(max_length=64)],
    lon: Annotated[float | None, Query(ge=-180, le=180, allow_inf_nan=False)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, allow_inf_nan=False)] = None,
    commune_code: Annotated[str | None, Query(pattern=s.COMMUNE_PATTERN)] = None,
) -> Any:
    p = reports.preview(session, category, lon, lat, commune_code)
    a = p.route.agency
    return {"agency": {"code": a.code, "name_vi": a.name_vi, "name_en": a.name_en},
            "rule": p.route.rule.code if p.route.rule else None,
            "routing": {"explanation_vi": p.route.explanation_vi, "explanation_en": p.route.explanation_en},
            "commune": {"code": p.place.commune_code, "name": p.place.commune_name},
            "location": {"lon": p.place.lon, "lat": p.place.lat, "precision": p.place.precision},
            "deadline_days": p.deadline_days, "due_at": p.due_at}


@router.get("/holidays", response_model=list[s.HolidayOut], dependencies=[Depends(PUBLIC)],
            summary="Lịch nghỉ lễ / the holiday calendar",
            description="Days off (`off`) and Saturdays worked in exchange (`workday`); the "
            "deadline clock skips weekends and `off` days.")
def list_holidays(session: SessionDep, year: Annotated[int | None, Query(ge=2000, le=2999)] = None) -> Any:
    return calendar.list_holidays(session, year)


@router.put("/holidays", response_model=list[s.HolidayOut], dependencies=[Depends(ADMIN)],
            summary="Thêm/sửa ngày nghỉ / add or replace days",
            description="New deadlines use the change; deadlines already given stay as they were.")
def upsert_holidays(body: s.HolidayUpsert, session: SessionDep) -> Any:
    return calendar.upsert_holidays(session, [d.model_dump() for d in body.days])


@router.delete("/holidays", status_code=204, dependencies=[Depends(ADMIN)],
               summary="Xóa một ngày / remove a day")
def delete_holiday(session: SessionDep, day: Annotated[date, Query()]) -> Response:
    calendar.delete_holiday(session, day)
    return Response(status_code=204)


def _template(t: ResponseTemplate) -> dict[str, Any]:
    return {"code": t.code, "title": t.title, "body_vi": t.body_vi, "body_en": t.body_en,
            "category": t.category.code if t.category else None,
            "agency": t.agency.code if t.agency else None, "active": t.active}


StaffUser = Annotated[User, Depends(STAFF)]


@router.get("/templates", response_model=list[s.TemplateOut], dependencies=[Depends(STAFF)],
            summary="Mẫu trả lời / response templates",
            description="Filter by `agency` and `category` (shared templates always included).")
def list_templates(
    session: SessionDep, agency: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None, include_inactive: bool = False,
) -> Any:
    return [_template(t) for t in templates.list_templates(
        session, agency=agency, category=category, include_inactive=include_inactive)]


@router.post("/templates", response_model=s.TemplateOut, status_code=201, dependencies=[Depends(STAFF)],
             summary="Thêm mẫu / add a template",
             description="Officers: for their agencies; shared templates (no agency): admins.")
def create_template(body: s.TemplateCreate, session: SessionDep, user: StaffUser) -> Any:
    return _template(templates.create_template(session, body.model_dump(exclude_unset=True), user))


@router.get("/templates/{code}", response_model=s.TemplateOut, dependencies=[Depends(STAFF)],
            summary="Một mẫu / one template")
def get_template(code: Slug, session: SessionDep) -> Any:
    return _template(templates.get_template(session, code))


@router.patch("/templates/{code}", response_model=s.TemplateOut, dependencies=[Depends(STAFF)],
              summary="Sửa mẫu / edit a template")
def update_template(code: Slug, body: s.TemplateUpdate, session: SessionDep, user: StaffUser) -> Any:
    template = templates.get_template(session, code)
    return _template(templates.update_template(session, template, body.model_dump(exclude_unset=True), user))


@router.delete("/templates/{code}", status_code=204, dependencies=[Depends(STAFF)],
               summary="Xóa mẫu / delete a template")
def delete_template(code: Slug, session: SessionDep, user: StaffUser) -> Response:
    templates.delete_template(session, templates.get_template(session, code), user)
    return Response(status_code=204)


@router.post("/close-stale", response_model=s.ClosedCount, dependencies=[Depends(ADMIN)],
             summary="Đóng phản ánh quá hạn xác nhận / close unconfirmed resolved reports",
             description="Resolved reports whose 7-day confirmation window passed become closed "
             "(`resolved_unconfirmed`). Also run by `iocmap feedback close-stale` and the inbox.")
def close_stale(session: SessionDep) -> Any:
    return {"closed": workflow.close_unconfirmed(session, datetime.now(UTC))}
