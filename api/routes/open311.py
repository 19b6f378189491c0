"""Open311 GeoReport v2 under ``/open311/v2`` (JSON and XML by path suffix), and the admins'
API keys for its clients under ``/api/v1/apikeys``.

GeoReport has its own error format, ``[{"code": 400, "description": ...}]`` (XML
``<errors><error>…``) with 404 for what does not exist, 403 for a missing or wrong
``api_key`` and 400 for anything else: ``Open311Route`` turns every error raised on these
routes (domain errors, parameter validation, HTTP errors) into that, in the format of the
path. Unknown paths under ``/open311/v2`` answer in it too (the catch-all at the end).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api.deps import ADMIN, PUBLIC, SessionDep, SettingsDep
from api.errors import status_for
from api.limits import BodyTooLarge
from api.routes.feedback.deps import MediaDep
from layers import apikeys
from layers.errors import DomainError, Forbidden, InvalidInput, NotAuthenticated, NotFound
from layers.models import User
from layers.open311 import documents, services
from layers.open311 import requests as o311

ATTRIBUTE_RE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
FORM_FIELDS = ("api_key", "jurisdiction_id", *(f for f in o311.RequestForm.__dataclass_fields__
                                               if f != "attributes"))
MAX_FORM_FIELDS = 200


# ---- the standard's error format ---------------------------------------------------------


def _format_of(request: Request) -> str:
    fmt = request.scope.get("path_params", {}).get("fmt")
    if fmt in documents.FORMATS:
        return str(fmt)
    return "xml" if request.url.path.endswith(".xml") else "json"


def render(fmt: str, root: str, content: Any, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """A GeoReport document as JSON or XML (``root`` names the XML root element)."""
    body = documents.to_xml(root, content) if fmt == "xml" else orjson.dumps(content)
    return Response(body, status_code=status, media_type=documents.MEDIA_TYPES[fmt], headers=headers)


def error_response(request: Request, status: int, description: str,
                   headers: dict[str, str] | None = None) -> Response:
    return render(_format_of(request), "errors", documents.errors(status, description), status, headers)


def _status(exc: DomainError) -> int:
    status = status_for(exc)
    if status >= 500:
        return status
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden | NotAuthenticated):
        return 403
    return 400


def _validation_text(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body", "header"))
        parts.append(f"{where}: {err.get('msg')}")
    return "Tham số không hợp lệ / invalid parameter: " + "; ".join(parts)


class Open311Route(APIRoute):
    """Errors on these routes in the GeoReport format, never the app's ``{"detail", "code"}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except BodyTooLarge:
                raise  # the size-limit middleware answers 413 before anything was read
            except DomainError as exc:
                return error_response(request, _status(exc), f"{exc.message} ({exc.code})")
            except RequestValidationError as exc:
                return error_response(request, 400, _validation_text(exc))
            except HTTPException as exc:
                status = exc.status_code if exc.status_code in (403, 404, 405, 413) else 400
                return error_response(request, status, str(exc.detail), dict(exc.headers or {}))

        return route


georeport = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"], route_class=Open311Route,
                      dependencies=[Depends(PUBLIC)])


# ---- shared parameters -------------------------------------------------------------------


def _fmt(fmt: str) -> str:
    if fmt not in documents.FORMATS:
        raise NotFound("Định dạng không hỗ trợ: dùng .json hoặc .xml / unsupported format: use .json or .xml",
                       code="bad_format")
    return fmt


Fmt = Annotated[str, Depends(_fmt)]


def check_jurisdiction(value: str | None, expected: str) -> None:
    """Optional (we serve one jurisdiction); a different one does not exist here: 404."""
    if value is not None and value.strip() and value.strip().lower() != expected.lower():
        raise NotFound(f"Không có jurisdiction_id / jurisdiction_id not found: {value.strip()[:100]} "
                       f"(this endpoint serves {expected})", code="jurisdiction_not_found")


def _jurisdiction(settings: SettingsDep,
                  jurisdiction_id: Annotated[str | None, Query(max_length=200)] = None) -> None:
    check_jurisdiction(jurisdiction_id, settings.open311_jurisdiction_id)


Jurisdiction = Depends(_jurisdiction)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _joined(values: list[str] | None) -> str | None:
    """Comma lists; a parameter declared several times counts as one comma list."""
    return ",".join(values) if values else None


# ---- GET ---------------------------------------------------------------------------------


@georeport.get("/discovery.{fmt}", summary="Service discovery")
def discovery(fmt: Fmt, request: Request, settings: SettingsDep) -> Response:
    return render(fmt, "discovery", documents.discovery(_base(request), settings.open311_jurisdiction_id))


@georeport.get("/services.{fmt}", summary="GET Service List (lĩnh vực / categories)",
               dependencies=[Jurisdiction])
def service_list(fmt: Fmt, session: SessionDep) -> Response:
    return render(fmt, "services", services.service_list(session))


@georeport.get("/services/{service_code}.{fmt}", summary="GET Service Definition (extra questions)",
               dependencies=[Jurisdiction])
def service_definition(service_code: str, fmt: Fmt, session: SessionDep) -> Response:
    return render(fmt, "service_definition", services.definition(session, service_code))


@georeport.get(
    "/requests.{fmt}", summary="GET Service Requests", dependencies=[Jurisdiction],
    description="Newest first. `service_request_id` (comma list) overrides the other filters. "
    "`start_date`/`end_date` (W3C date-time; without an offset, Vietnam time) filter on "
    "requested_datetime; neither = the last 90 days, one alone = 90 days from it. `status`: "
    "open | closed. Paging extension: `page` (from 1) and `page_size` (1-1000, default 1000); a "
    "full page has a `Link: <...>; rel=\"next\"` header.",
)
def list_requests(
    fmt: Fmt, request: Request, session: SessionDep,
    service_request_id: Annotated[list[str] | None, Query(max_length=MAX_FORM_FIELDS)] = None,
    service_code: Annotated[list[str] | None, Query(max_length=50)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[list[str] | None, Query(max_length=4)] = None,
    page: int = 1,
    page_size: int = o311.MAX_PAGE_SIZE,
) -> Response:
    q = o311.Query(service_request_id=_joined(service_request_id), service_code=_joined(service_code),
                   start_date=start_date, end_date=end_date, status=_joined(status), page=page,
                   page_size=page_size)
    found = o311.query(session, q, _base(request))
    headers = {}
    if len(found) == page_size and not service_request_id:
        headers["Link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
    return render(fmt, "service_requests", found, headers=headers)


@georeport.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request",
               dependencies=[Jurisdiction])
def one_request(service_request_id: str, fmt: Fmt, request: Request, session: SessionDep) -> Response:
    return render(fmt, "service_requests", o311.one(session, service_request_id, _base(request)))


@georeport.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token",
               description="Requests are created at once, so the token of a request is its id.",
               dependencies=[Jurisdiction])
def token(token: str, fmt: Fmt, session: SessionDep) -> Response:
    return render(fmt, "service_requests", o311.token(session, token))


# ---- POST --------------------------------------------------------------------------------


class PostedRequest:
    """The form of a POST: the API key, the jurisdiction and the request itself."""

    def __init__(self, api_key: str | None, jurisdiction_id: str | None, form: o311.RequestForm) -> None:
        self.api_key = api_key
        self.jurisdiction_id = jurisdiction_id
        self.form = form


async def parse_form(request: Request) -> PostedRequest:
    """``application/x-www-form-urlencoded`` as the standard says (multipart fields also
    accepted, files not); ``attribute[CODE]=v`` and ``attribute[CODE][]=v`` collected."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise InvalidInput("Nội dung phải là application/x-www-form-urlencoded / the body must be "
                           "application/x-www-form-urlencoded", code="bad_content_type")
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    single: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise InvalidInput("Không nhận tệp: gửi media_url / files are not accepted: send media_url",
                               code="files_not_accepted")
        match = ATTRIBUTE_RE.fullmatch(key)
        if match:
            attributes.setdefault(match.group(1), []).append(value)
        elif key in FORM_FIELDS:
            if key in single:
                raise InvalidInput(f"{key}: chỉ một giá trị / only one value allowed", code="repeated_field")
            single[key] = value
    fields = {k: v for k, v in single.items() if k not in ("api_key", "jurisdiction_id")}
    return PostedRequest(single.get("api_key") or request.query_params.get("api_key"),
                         single.get("jurisdiction_id") or request.query_params.get("jurisdiction_id"),
                         o311.RequestForm(**fields, attributes=attributes))


@georeport.post(
    "/requests.{fmt}", status_code=201, summary="POST Service Request (api_key required)",
    description="Form-encoded: `api_key`, `service_code`, `lat` and `long` (WGS84; we have no "
    "geocoder, so `address_string` alone is refused and otherwise kept as a place hint), "
    "`description` (required here), `attribute[CODE]=value` (`attribute[CODE][]=v` for "
    "multivaluelist), optional `email`, `first_name`, `last_name`, `phone` (private: never "
    "shown by any public API), `media_url` (kept as text, never fetched), `device_id`, "
    "`account_id`. The report goes through the same validation, routing and deadline as the "
    "web form. Answers `service_request_id` (the tracking code) at once. An `Idempotency-Key` "
    "header makes retries safe (200 with the first answer).",
    openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "required": ["api_key", "service_code", "lat", "long", "description"],
                   "properties": {f: {"type": "string"} for f in FORM_FIELDS}}}}}},
)
def create_request(
    fmt: Fmt, posted: Annotated[PostedRequest, Depends(parse_form)], request: Request,
    session: SessionDep, settings: SettingsDep, media: MediaDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Response:
    check_jurisdiction(posted.jurisdiction_id, settings.open311_jurisdiction_id)
    created = o311.create(session, posted.form, api_key=posted.api_key, media=media,
                          idempotency_key=idempotency_key)
    return render(fmt, "service_requests", [o311.created_document(created)],
                  status=201 if created.created else 200,
                  headers={"Location": f"{_base(request)}/open311/v2/requests/{created.report.code}.{fmt}"})


@georeport.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                     include_in_schema=False)
def unknown(rest: str, request: Request) -> Response:
    """404 in the standard's format; 405 when the path exists for another method."""
    for route in georeport.routes:
        if isinstance(route, APIRoute) and route.path != "/open311/v2/{rest:path}" \
                and route.matches(request.scope)[0] == Match.PARTIAL:
            return error_response(request, 405, "Phương thức không hỗ trợ / method not allowed",
                                  {"Allow": ", ".join(sorted(route.methods or ()))})
    raise NotFound("Không có tài nguyên / no such resource", code="not_found")


# ---- API keys (admins) -------------------------------------------------------------------


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=64, description="Tên ứng dụng / the client's name")
    note: str | None = Field(default=None, max_length=1000)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="Đầu khóa để nhận biết / the key's first characters")
    note: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="Chỉ hiện một lần / shown only once: give it to the client")


def _key_out(key: apikeys.ApiKey) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "prefix": key.prefix, "note": key.note,
            "created_at": key.created_at, "last_used_at": key.last_used_at,
            "revoked_at": key.revoked_at, "active": key.active}


keys = APIRouter(prefix="/api/v1/apikeys", tags=["API keys"], dependencies=[Depends(ADMIN)])
AdminUser = Annotated[User, Depends(ADMIN)]


@keys.get("", response_model=list[ApiKeyOut], summary="Các khóa API / API keys")
def list_keys(session: SessionDep) -> Any:
    return [_key_out(k) for k in apikeys.list_keys(session)]


@keys.post("", status_code=201, response_model=ApiKeyCreated, summary="Cấp khóa API / issue an API key",
           responses={409: {"description": "name taken"}})
def create_key(body: ApiKeyCreate, session: SessionDep, user: AdminUser) -> Any:
    issued = apikeys.create_key(session, body.name, note=body.note, actor=user)
    return {**_key_out(issued.key), "key": issued.secret}


@keys.delete("/{key_id}", response_model=ApiKeyOut, summary="Thu hồi khóa API / revoke an API key",
             responses={404: {"description": "no such key"}})
def revoke_key(key_id: int, session: SessionDep, user: AdminUser) -> Any:
    return _key_out(apikeys.revoke_key(session, key_id, actor=user))


router = APIRouter()
router.include_router(georeport)
router.include_router(keys)
