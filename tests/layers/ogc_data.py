"""Test layers for the OGC API and export tests: 200 schools with Vietnamese names and a
time field, and a small internal layer that anonymous callers and citizens must not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shapely.geometry import Point
from sqlalchemy.orm import Session

from layers.features import FeatureRow, write_version
from layers.models import Layer

N_POINTS = 200
START = datetime(2024, 1, 1, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam
SCRIPT = "<script>alert('x')</script>"
ATTRIBUTES = [
    {"name": "ten", "type": "string", "label_vi": "Tên trường", "label_en": "Name", "popup": True},
    {"name": "loai", "type": "string", "label_vi": "Loại", "label_en": "Kind", "popup": True},
    {"name": "so_hoc_sinh", "type": "integer", "label_vi": "Số học sinh", "label_en": "Pupils", "popup": True},
    {"name": "dien_tich", "type": "number", "label_vi": "Diện tích (m²)", "label_en": "Area", "popup": False},
    {"name": "cong_lap", "type": "boolean", "label_vi": "Công lập", "label_en": "Public", "popup": False},
    {"name": "ngay", "type": "datetime", "label_vi": "Ngày", "label_en": "Date", "popup": False},
    {"name": "ghi_chu", "type": "string", "label_vi": "Ghi chú", "label_en": "Note", "popup": False},
]
KINDS = ("Tiểu học", "Trung học cơ sở", "Mầm non", "Trung học phổ thông")


def lonlat(i: int) -> tuple[float, float]:
    """A 20 x 10 grid around Đắk Mil town, 0.001° (about 110 m) apart."""
    return round(107.6 + (i % 20) * 0.001, 6), round(12.44 + (i // 20) * 0.001, 6)


def properties(i: int) -> dict[str, object]:
    return {
        "ten": f"Trường Nguyễn Du số {i}",
        "loai": KINDS[i % 4],
        "so_hoc_sinh": 100 + i,
        "dien_tich": 1000.5 + i,
        "cong_lap": i % 2 == 0,
        "ngay": START + timedelta(days=i),
        "ghi_chu": SCRIPT if i == 7 else (None if i % 10 == 0 else f"Đắk Mil ghi chú {i}"),
    }


@dataclass
class OgcLayers:
    points: str
    hidden: str
    empty: str


def _layer(slug: str, title: str, visibility: str, geometry_type: str, time_field: str | None) -> Layer:
    return Layer(slug=slug, title_vi=title, title_en=f"{title} (EN)", description_vi=f"Mô tả {title}",
                 description_en="Description", layer_group="infrastructure", kind="upload",
                 geometry_type=geometry_type, visibility=visibility, style={}, options={},
                 default_on=False, sort_order=500, min_zoom=0, max_zoom=22, attributes=[],
                 time_field=time_field, source="Phòng GD&ĐT Đắk Mil", licence="CC BY 4.0")


def make_layers(session: Session) -> OgcLayers:
    """Create the test layers (unique slugs) in ``session``; the caller commits."""
    tag = uuid.uuid4().hex[:8]
    names = OgcLayers(points=f"truong-{tag}", hidden=f"noi-bo-{tag}", empty=f"rong-{tag}")
    points = _layer(names.points, "Trường học Đắk Mil", "public", "Point", "ngay")
    hidden = _layer(names.hidden, "Lớp nội bộ", "internal", "Point", None)
    empty = _layer(names.empty, "Lớp chưa có dữ liệu", "public", "Point", None)
    session.add_all([points, hidden, empty])
    session.flush()
    rows = [FeatureRow(Point(*lonlat(i)), properties(i), START + timedelta(days=i)) for i in range(N_POINTS)]
    write_version(session, points, rows, attributes=ATTRIBUTES)
    secret = [FeatureRow(Point(107.61, 12.45 + i * 0.001), {"ten": f"Bí mật {i}"}) for i in range(5)]
    write_version(session, hidden, secret,
                  attributes=[{"name": "ten", "type": "string", "label_vi": "Tên", "label_en": "Name",
                               "popup": True}])
    return names
