"""What staff see of an incident. No public view exists: incidents are operational data
(an unverified fire or a public-order incident published live could cause harm), so
citizens and anonymous visitors see none of them; a public alert feed would be a separate,
moderated product decision.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.hexgrid import RESOLUTIONS, cell_to_str
from layers.incidents import kinds, queries
from layers.incidents.models import Incident, IncidentUpdate
from layers.incidents.service import can_edit
from layers.models import User


def _entry(u: IncidentUpdate) -> dict[str, Any]:
    return {
        "at": u.at,
        "kind": u.kind,
        "actor": u.actor.username if u.actor else None,
        "actor_name": u.actor.full_name if u.actor else None,
        "from_status": u.from_status,
        "to_status": u.to_status,
        "note": u.note,
        "data": u.data,
    }


def summary(incident: Incident) -> dict[str, Any]:
    """The list view: no geometry beyond the anchor point."""
    point = to_shape(incident.point)
    assert isinstance(point, Point)
    return {
        "code": incident.code,
        "type": kinds.type_ref(incident.type),
        "title": incident.title,
        "severity": kinds.severity_ref(incident.severity),
        "status": kinds.status_ref(incident.status),
        "point": {"lon": round(point.x, 6), "lat": round(point.y, 6)},
        "is_area": incident.area_km2 is not None,
        "area_km2": incident.area_km2,
        "commune_code": incident.commune_code,
        "agency": {
            "code": incident.agency.code,
            "name_vi": incident.agency.name_vi,
            "name_en": incident.agency.name_en,
        },
        "occurred_at": incident.occurred_at,
        "reported_at": incident.reported_at,
        "updated_at": incident.updated_at,
        "closed_at": incident.closed_at,
        "url": f"/api/v1/incidents/{incident.code}",
    }


def detail(session: Session, incident: Incident, user: User, on: date) -> dict[str, Any]:
    """The full staff view: geometry, communes touched on ``on``, links, timeline, next moves."""
    geometry = session.scalar(select(func.ST_AsGeoJSON(Incident.geom, 6)).where(Incident.id == incident.id))
    editable = can_edit(user, incident)
    return {
        **summary(incident),
        "description": incident.description,
        "geometry": orjson.loads(geometry) if geometry else None,
        "communes": queries.communes_touched(session, incident, on),
        "communes_date": on.isoformat(),
        "h3": {f"r{r}": cell_to_str(getattr(incident, f"h3_r{r}")) for r in RESOLUTIONS},
        "responding_at": incident.responding_at,
        "contained_at": incident.contained_at,
        "reports": queries.linked_reports(session, incident),
        "timeline": [_entry(u) for u in queries.timeline(session, incident)],
        "can_edit": editable,
        "allowed_transitions": sorted(kinds.ALLOWED[incident.status]) if editable else [],
    }


def feature(row: dict[str, Any]) -> dict[str, Any]:
    """One map feature from ``queries.as_features``."""
    return {
        "type": "Feature",
        "id": row["code"],
        "geometry": orjson.loads(row["geometry"]),
        "properties": {
            "code": row["code"],
            "type": row["type"],
            "type_vi": kinds.TYPE_LABELS[row["type"]][0],
            "title": row["title"],
            "severity": row["severity"],
            "status": row["status"],
            "agency": row["agency"],
            "occurred_at": row["occurred_at"].isoformat(),
            "area_km2": row["area_km2"],
            "lon": round(row["lon"], 6),
            "lat": round(row["lat"], 6),
        },
    }
