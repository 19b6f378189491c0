"""Liveness with a real database check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from api.deps import PUBLIC
from api.schemas import Health
from layers.db import check_database

router = APIRouter(tags=["health"], dependencies=[Depends(PUBLIC)])


@router.get(
    "/healthz",
    response_model=Health,
    summary="Tình trạng hệ thống / health",
    description="200 when the database and PostGIS answer; 503 with a reason otherwise.",
    responses={503: {"description": "database unavailable"}},
)
def healthz(request: Request) -> Health:
    return Health(status="ok", database=check_database(request.app.state.engine))
