"""Public list of the agencies that handle citizen feedback (the statistics page's labels)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import PUBLIC, DateDep, SessionDep
from layers.feedback.agencies import list_agencies

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback: configuration"])


class AgencyOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    kind: str = Field(description="department | commune (a commune People's Committee)")
    commune_code: str | None = Field(description="GSO code of the commune (commune committees)")
    active: bool = Field(description="can receive cases on `date`: departments always, commune "
                         "committees while their commune exists (2025 mergers)")


@router.get("/agencies", response_model=list[AgencyOut], dependencies=[Depends(PUBLIC)],
            summary="Cơ quan xử lý phản ánh / agencies handling feedback",
            description="Every agency (inactive ones too: they appear in statistics of earlier "
            "periods). Public facts only: no officers, no contacts.")
def agencies(session: SessionDep, on: DateDep) -> Any:
    return list_agencies(session, on)
