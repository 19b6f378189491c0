"""Request and response bodies. Unknown fields in request bodies are refused."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from layers.models import User


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_at: datetime


class AgencyPublic(BaseModel):
    code: str
    name_vi: str
    name_en: str
    kind: str


class UserPublic(BaseModel):
    """What a user sees of their own account and what admins see of any account."""

    username: str
    full_name: str | None
    role: str
    is_active: bool
    email: str | None
    phone: str | None
    agencies: list[AgencyPublic]
    created_at: datetime | None
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            username=user.username, full_name=user.full_name, role=user.role,
            is_active=user.is_active, email=user.email, phone=user.phone,
            agencies=[AgencyPublic(code=a.code, name_vi=a.name_vi, name_en=a.name_en, kind=a.kind)
                      for a in user.agencies],
            created_at=user.created_at, last_login_at=user.last_login_at,
        )


class Me(BaseModel):
    user: UserPublic
    csrf_token: str | None = Field(
        default=None, description="Echo in X-CSRF-Token on state-changing cookie requests"
    )


class UserCreate(Strict):
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: str
    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 .-]{6,20}$")
    agencies: list[str] = Field(default_factory=list, max_length=50)


class UserUpdate(Strict):
    role: str | None = None
    agencies: list[str] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class Health(BaseModel):
    status: str
    database: dict[str, str]
