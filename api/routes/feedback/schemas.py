"""Request and response bodies of the feedback API.

Response models are whitelists: a field that is not declared here never reaches a client,
whatever the layer returns (a second guard, after ``layers.feedback.views``, on the
reporter's personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^DM-[0-9]{4}-[0-9]{6,9}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"
COMMUNE_PATTERN = r"^[0-9]{2,5}$"
Note = Field(default=None, max_length=4000)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- citizens -----------------------------------------------------------------------


class ReportCreate(Strict):
    """A new report. Give ``lon``/``lat`` (WGS84), or only ``commune_code`` when GPS is poor."""

    category: str = Field(min_length=1, max_length=64, description="Mã lĩnh vực / category code")
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=5000, description="Plain text; never rendered as HTML")
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    commune_code: str | None = Field(default=None, pattern=COMMUNE_PATTERN)
    address: str | None = Field(default=None, max_length=300, description="Thôn, số nhà, mốc / place hint")
    answers: dict[str, Any] = Field(default_factory=dict, max_length=20,
                                    description="Answers to the category's extra questions")
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_phone: str | None = Field(default=None, max_length=20)
    reporter_email: str | None = Field(default=None, max_length=320)
    share_contact: bool = Field(default=False, description="Cho cán bộ xem liên hệ / officers may see "
                                "the contact details")
    anonymous: bool = Field(default=False, description="Không gắn với tài khoản / not linked to the "
                            "signed-in account")


class CitizenFeedback(Strict):
    outcome: Literal["confirm", "dispute"]
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class CategoryRef(BaseModel):
    code: str
    name_vi: str
    name_en: str
    icon: str


class Location(BaseModel):
    lon: float
    lat: float
    precision: Literal["point", "commune"]


class CommuneRef(BaseModel):
    code: str
    name: str


class AgencyRef(BaseModel):
    code: str
    name_vi: str
    name_en: str


class Routing(BaseModel):
    explanation_vi: str
    explanation_en: str


class Deadline(BaseModel):
    working_days: int
    due_at: datetime
    seconds_left: int | None = Field(description="Negative when overdue; null once handled")
    overdue: bool
    on_time: bool | None = Field(description="Handled within the deadline (null while open)")


class PhotoOut(BaseModel):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int
    media_type: str


class TimelineEntry(BaseModel):
    at: datetime
    action: str
    actor_kind: str
    from_status: str | None
    to_status: str | None
    public_note: str | None
    reason_code: str | None
    from_agency: str | None
    to_agency: str | None


class ReportPublic(BaseModel):
    code: str
    status: str
    category: CategoryRef
    title: str
    description: str | None
    address: str | None
    answers: dict[str, Any]
    text_hidden: bool
    location: Location
    commune: CommuneRef
    agency: AgencyRef
    routing: Routing
    received_at: datetime
    deadline: Deadline
    resolved_at: datetime | None
    closed_at: datetime | None
    closure: str | None
    reject_reason: str | None
    duplicate_of: str | None
    supporters: int
    escalated: bool
    citizen_rating: int | None
    source: str
    photos: list[PhotoOut]
    url: str
    timeline: list[TimelineEntry] | None = None


class ReportPage(BaseModel):
    items: list[ReportPublic]
    limit: int
    offset: int
    next_offset: int | None


class NearbyReport(ReportPublic):
    distance_m: float


class NearbyResult(BaseModel):
    radius_m: float
    days: int
    items: list[NearbyReport]


class SupportResult(BaseModel):
    code: str
    supporters: int
    added: bool


class ReporterContact(BaseModel):
    name: str | None
    phone: str | None
    email: str | None
    share_contact: bool


class ReportPrivate(ReportPublic):
    reporter: ReporterContact
    citizen_comment: str | None
    can_respond: bool
    respond_until: datetime | None


class ReportCreated(ReportPrivate):
    private_token: str = Field(description="Giữ bí mật / keep it secret: opens the private view")
    private_url: str


# ---- staff ---------------------------------------------------------------------------


class PhotoStaff(PhotoOut):
    hidden: bool


class TimelineEntryStaff(TimelineEntry):
    internal_note: str | None
    actor: str | None
    data: dict[str, Any]


class Assignee(BaseModel):
    username: str
    full_name: str | None


class ReportStaff(ReportPublic):
    photos: list[PhotoStaff]  # type: ignore[assignment]
    timeline: list[TimelineEntryStaff] | None = None  # type: ignore[assignment]
    reporter: ReporterContact
    assignee: Assignee | None
    assigned_at: datetime | None
    escalated_at: datetime | None
    dispute_count: int
    citizen_comment: str | None


class InboxPage(BaseModel):
    items: list[ReportStaff]
    total: int
    limit: int
    offset: int


class TransitionRequest(Strict):
    to: Literal["assigned", "in_progress", "resolved", "closed", "rejected", "duplicate", "transferred"]
    public_note: str | None = Note
    internal_note: str | None = Note
    assignee: str | None = Field(default=None, max_length=64, description="username (assigned, transferred)")
    agency: str | None = Field(default=None, max_length=64, description="agency code (transferred)")
    reason_code: Literal["not_in_competence", "insufficient_information", "other"] | None = None
    duplicate_of: str | None = Field(default=None, pattern=CODE_PATTERN)


class ModerationRequest(Strict):
    target: Literal["text", "photo"]
    photo_id: int | None = Field(default=None, ge=1)
    hidden: bool
    reason: str = Field(min_length=3, max_length=1000)


class BulkAssign(Strict):
    codes: list[str] = Field(min_length=1, max_length=100)
    assignee: str = Field(min_length=1, max_length=64)
    public_note: str | None = Note
    internal_note: str | None = Note


class ReportList(BaseModel):
    items: list[ReportStaff]
