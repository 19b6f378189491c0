"""Account administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.deps import ADMIN, SessionDep
from api.schemas import UserCreate, UserPublic, UserUpdate
from layers import accounts

router = APIRouter(prefix="/api/v1/users", tags=["users"], dependencies=[Depends(ADMIN)])
Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("", response_model=list[UserPublic], summary="Danh sách tài khoản / list accounts")
def list_users(session: SessionDep) -> list[UserPublic]:
    return [UserPublic.of(u) for u in accounts.list_users(session)]


@router.post("", response_model=UserPublic, status_code=201,
             summary="Tạo tài khoản / create an account")
def create_user(body: UserCreate, session: SessionDep) -> UserPublic:
    user = accounts.create_user(
        session, username=body.username, password=body.password, role=body.role,
        full_name=body.full_name, email=body.email, phone=body.phone, agency_codes=body.agencies,
    )
    return UserPublic.of(user)


@router.get("/{username}", response_model=UserPublic, summary="Một tài khoản / one account")
def get_user(username: Username, session: SessionDep) -> UserPublic:
    return UserPublic.of(accounts.get_user(session, username))


@router.patch("/{username}", response_model=UserPublic,
              summary="Đổi vai trò, cơ quan, trạng thái / change role, agencies, status")
def update_user(username: Username, body: UserUpdate, session: SessionDep) -> UserPublic:
    user = accounts.get_user(session, username)
    if body.role is not None or body.agencies is not None:
        user = accounts.set_role(session, username, body.role or user.role, body.agencies)
    if body.is_active is not None:
        user = accounts.set_active(session, username, body.is_active)
    return UserPublic.of(user)
