"""Incident types, severities and statuses with their labels, and the allowed transitions.

reported ──▶ responding ──▶ contained ──▶ closed
    │            ▲    └──────────────────▶ │
    │            └──── contained (flare-up) │
    └─────────────────────────────────────▶ │  (a false alarm closes at once)
closed ──▶ responding  (reopened; a note says why)
"""

from __future__ import annotations

from typing import Any

from layers.errors import InvalidInput
from layers.incidents.models import STATUSES, TYPES

TYPE_LABELS: dict[str, tuple[str, str]] = {
    "fire": ("Cháy", "Fire"),
    "flood": ("Lũ lụt, ngập úng", "Flood"),
    "landslide": ("Sạt lở đất", "Landslide"),
    "drought": ("Hạn hán", "Drought"),
    "storm_damage": ("Thiệt hại do giông bão", "Storm damage"),
    "traffic_accident": ("Tai nạn giao thông", "Traffic accident"),
    "power_outage": ("Mất điện", "Power outage"),
    "water_outage": ("Mất nước", "Water outage"),
    "animal_disease": ("Dịch bệnh động vật", "Animal disease outbreak"),
    "public_order": ("An ninh, trật tự", "Public order"),
    "other": ("Khác", "Other"),
}
SEVERITY_NAMES = {1: "low", 2: "medium", 3: "high", 4: "critical"}
SEVERITY_LABELS = {
    1: ("Thấp", "Low"),
    2: ("Trung bình", "Medium"),
    3: ("Cao", "High"),
    4: ("Nghiêm trọng", "Critical"),
}
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "reported": ("Mới tiếp nhận", "Reported"),
    "responding": ("Đang ứng phó", "Responding"),
    "contained": ("Đã khống chế", "Contained"),
    "closed": ("Đã kết thúc", "Closed"),
}
ALLOWED: dict[str, frozenset[str]] = {
    "reported": frozenset({"responding", "contained", "closed"}),
    "responding": frozenset({"contained", "closed"}),
    "contained": frozenset({"responding", "closed"}),
    "closed": frozenset({"responding"}),
}
#: Moves that must say why in a note.
NOTE_REQUIRED = frozenset(
    {("reported", "closed"), ("responding", "closed"), ("contained", "closed"), ("closed", "responding")}
)

assert set(TYPE_LABELS) == set(TYPES) and set(STATUS_LABELS) == set(STATUSES) == set(ALLOWED)


def check_type(value: str) -> str:
    if value not in TYPES:
        raise InvalidInput(
            f"Loại sự cố không hợp lệ / unknown incident type: {value}",
            code="unknown_incident_type",
            allowed=list(TYPES),
        )
    return value


def check_statuses(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    bad = [v for v in values if v not in STATUSES]
    if bad:
        raise InvalidInput(
            f"Trạng thái sự cố không hợp lệ / unknown incident status: {bad[0]}",
            code="bad_status",
            allowed=list(STATUSES),
        )
    return tuple(values)


def severity_level(value: int | str) -> int:
    """1-4, or the names low / medium / high / critical."""
    if isinstance(value, str):
        by_name = {v: k for k, v in SEVERITY_NAMES.items()}
        if value.strip().isdigit():
            value = int(value)
        elif value.strip().lower() in by_name:
            return by_name[value.strip().lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in SEVERITY_NAMES:
        return value
    raise InvalidInput(
        "Mức độ: 1-4 hoặc low/medium/high/critical / severity: 1-4 or low/medium/high/critical",
        code="bad_severity",
        allowed=[*SEVERITY_NAMES, *SEVERITY_NAMES.values()],
    )


def type_ref(value: str) -> dict[str, Any]:
    vi, en = TYPE_LABELS[value]
    return {"code": value, "label_vi": vi, "label_en": en}


def severity_ref(level: int) -> dict[str, Any]:
    vi, en = SEVERITY_LABELS[level]
    return {"level": level, "name": SEVERITY_NAMES[level], "label_vi": vi, "label_en": en}


def status_ref(value: str) -> dict[str, Any]:
    vi, en = STATUS_LABELS[value]
    return {"code": value, "label_vi": vi, "label_en": en}


def catalogue() -> dict[str, Any]:
    """Everything a form needs: types, severities, statuses and the allowed moves."""
    return {
        "types": [type_ref(t) for t in TYPES],
        "severities": [severity_ref(s) for s in SEVERITY_NAMES],
        "statuses": [{**status_ref(s), "next": sorted(ALLOWED[s])} for s in STATUSES],
    }
