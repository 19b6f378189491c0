"""Citizen feedback API: one router made of the citizens', officers' and configuration parts.

Public paths live under ``/api/v1/reports``; officers' under ``/api/v1/inbox`` and
``/api/v1/reports/{code}/transitions|moderation``; configuration under ``/api/v1/feedback``.
"""

from __future__ import annotations

import re

from fastapi import APIRouter

from api.routes.feedback import admin, officer, public
from api.routes.feedback.deps import UPLOAD_MAX_BYTES

#: The one path that takes photo uploads; it gets a larger body limit than the rest.
UPLOAD_PATHS = re.compile(r"/api/v1/reports/?")

router = APIRouter()
for part in (officer.inbox, officer.actions, public.router, admin.router):
    router.include_router(part)

__all__ = ["UPLOAD_MAX_BYTES", "UPLOAD_PATHS", "router"]
