"""A layer's attribute schema as typed SQL over ``layer_features.properties`` (JSONB).

Both the property equality filters (``?name=value``) and CQL2 filters go through here,
so a property name from a request is only ever looked up in the layer's schema and
reaches SQL as a bound JSONB key, never as an identifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from layers.errors import InvalidInput
from layers.models import Layer

# Dates without a time are calendar days in Việt Nam (UTC+7, no daylight saving).
VN_TZ = timezone(timedelta(hours=7))

# A string that PostgreSQL can cast to timestamptz; keeps a stray value in a datetime
# column from turning a filter into a 500.
_ISO_RE = (r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
           r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$")

GEOMETRY_NAMES = frozenset({"geometry", "geom"})


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # integer | number | boolean | datetime | json | string
    title: str = ""


@dataclass(frozen=True)
class Schema:
    """What may be filtered on: the attributes of the layer's current version."""

    fields: dict[str, Field]
    time_field: str | None

    @classmethod
    def of(cls, layer: Layer) -> Schema:
        fields = {}
        for attr in layer.attributes or []:
            name = attr.get("name")
            if isinstance(name, str) and name:
                fields[name] = Field(name, str(attr.get("type") or "string"),
                                     str(attr.get("label_vi") or name))
        return cls(fields, layer.time_field)


class Binds:
    """Named bind parameters of one query: every value from a request goes through here."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def kind_of(field: Field) -> str:
    """The comparison family of an attribute: number, boolean, timestamp or string."""
    return {"integer": "number", "number": "number", "boolean": "boolean",
            "datetime": "timestamp"}.get(field.type, "string")


def property_sql(field: Field, schema: Schema, binds: Binds) -> str:
    """A typed SQL expression for an attribute; values of the wrong JSON type read as NULL."""
    if field.type == "datetime" and field.name == schema.time_field:
        return "dt"  # the time field is stored typed in its own column
    key = binds.add(field.name)
    kind = kind_of(field)
    if kind == "number":
        return (f"(CASE WHEN jsonb_typeof(properties -> {key}) = 'number' "
                f"THEN (properties ->> {key})::numeric END)")
    if kind == "boolean":
        return (f"(CASE WHEN jsonb_typeof(properties -> {key}) = 'boolean' "
                f"THEN (properties ->> {key})::boolean END)")
    if kind == "timestamp":
        pattern = binds.add(_ISO_RE)
        return (f"(CASE WHEN (properties ->> {key}) ~ {pattern} "
                f"THEN (properties ->> {key})::timestamptz END)")
    return f"(properties ->> {key})"


def parse_number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidInput(f"Không phải số: {what} / not a number: {what}", code="bad_number",
                           parameter=what)
    return value


def parse_boolean(text: str, what: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise InvalidInput(f"Giá trị đúng/sai không hợp lệ: {what} / not a boolean (true|false): {what}",
                       code="bad_boolean", parameter=what)


def parse_instant(text: str, what: str) -> tuple[datetime, datetime | None]:
    """An RFC 3339 date-time (with offset) or a full date; a date is a whole Vietnamese day.

    Returns (start, end-exclusive) for a date and (instant, None) for a date-time.
    """
    value = text.strip()
    value = value.removesuffix("T")  # GDAL writes date-only values as "2024-01-05T"
    if len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None:
            start = datetime.combine(day, time(), VN_TZ)
            return start, start + timedelta(days=1)
    # "+07:00" arrives as " 07:00" when a client forgets to encode the plus sign.
    if len(value) > 19 and value[-6] == " ":
        value = value[:-6] + "+" + value[-5:]
    try:
        instant = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"Thời điểm không hợp lệ (RFC 3339, ví dụ 2024-05-01T08:00:00+07:00): {what} / "
            f"invalid date-time (RFC 3339, e.g. 2024-05-01T08:00:00Z): {what}",
            code="bad_datetime", parameter=what) from None
    if instant.tzinfo is None:
        raise InvalidInput(
            f"Thời điểm cần múi giờ (Z hoặc +07:00): {what} / date-time needs a time zone "
            f"(Z or +07:00): {what}", code="bad_datetime", parameter=what)
    if not 1 <= instant.year <= 9999:
        raise InvalidInput(f"Năm ngoài phạm vi: {what} / year out of range: {what}",
                           code="bad_datetime", parameter=what)
    return instant, None
