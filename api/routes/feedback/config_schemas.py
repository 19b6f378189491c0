"""Bodies of the configuration API: categories, routing rules, holidays, templates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.routes.feedback.schemas import (
    COMMUNE_PATTERN,
    SLUG_PATTERN,
    AgencyRef,
    CommuneRef,
    Location,
    Routing,
    Strict,
)


class QuestionValue(Strict):
    key: str = Field(min_length=1, max_length=64)
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)


class ExtraQuestion(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$")
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool = False
    label_vi: str = Field(min_length=1, max_length=300)
    label_en: str = Field(min_length=1, max_length=300)
    values: list[QuestionValue] | None = Field(default=None, max_length=50)


class CategoryOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    description_vi: str | None
    description_en: str | None
    icon: str
    deadline_days: int
    extra_questions: list[dict[str, Any]]
    sort_order: int
    active: bool


class CategoryUpdate(Strict):
    name_vi: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    description_vi: str | None = Field(default=None, max_length=2000)
    description_en: str | None = Field(default=None, max_length=2000)
    icon: str | None = Field(default=None, min_length=1, max_length=64)
    deadline_days: int | None = Field(default=None, ge=1, le=365)
    extra_questions: list[ExtraQuestion] | None = Field(default=None, max_length=20)
    sort_order: int | None = Field(default=None, ge=0, le=100_000)
    active: bool | None = None


class CategoryCreate(CategoryUpdate):
    code: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$")
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    icon: str = Field(min_length=1, max_length=64)
    deadline_days: int = Field(ge=1, le=365)


class RuleOut(BaseModel):
    code: str
    category: str | None
    commune_code: str | None
    target: str
    agency: AgencyRef | None
    priority: int
    active: bool
    note_vi: str | None
    note_en: str | None


class RuleUpdate(Strict):
    category: str | None = Field(default=None, max_length=64)
    commune_code: str | None = Field(default=None, pattern=COMMUNE_PATTERN)
    target: Literal["agency", "commune_committee"] | None = None
    agency: str | None = Field(default=None, max_length=64)
    priority: int | None = Field(default=None, ge=0, le=100_000)
    active: bool | None = None
    note_vi: str | None = Field(default=None, max_length=1000)
    note_en: str | None = Field(default=None, max_length=1000)


class RuleCreate(RuleUpdate):
    code: str = Field(pattern=SLUG_PATTERN)
    target: Literal["agency", "commune_committee"]


class RoutePreview(BaseModel):
    agency: AgencyRef
    rule: str | None
    routing: Routing
    commune: CommuneRef
    location: Location
    deadline_days: int
    due_at: datetime


class HolidayIn(Strict):
    day: date
    kind: Literal["off", "workday"]
    name_vi: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=1000)
    provisional: bool = False


class HolidayOut(BaseModel):
    day: date
    kind: str
    name_vi: str
    name_en: str
    source: str | None
    provisional: bool


class HolidayUpsert(Strict):
    days: list[HolidayIn] = Field(min_length=1, max_length=400)


class TemplateOut(BaseModel):
    code: str
    title: str
    body_vi: str
    body_en: str | None
    category: str | None
    agency: str | None
    active: bool


class TemplateUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body_vi: str | None = Field(default=None, min_length=1, max_length=4000)
    body_en: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, max_length=64)
    agency: str | None = Field(default=None, max_length=64)
    active: bool | None = None


class TemplateCreate(TemplateUpdate):
    code: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    body_vi: str = Field(min_length=1, max_length=4000)


class ClosedCount(BaseModel):
    closed: int
