"""What a planner may tell the importer, and the safety limits it works under."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from layers.settings import Settings

#: ``progress(phase, done, total)``: phase is "read", "validate" or "write".
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ImportOptions:
    """Choices the file cannot make for itself; every one is optional."""

    crs: str | None = None  # e.g. "EPSG:4326", "VN2000-TM3-108.5"; overrides the file's
    encoding: str | None = None  # utf-8, cp1258, tcvn3, vni; overrides .cpg and detection
    table: str | None = None  # GeoPackage table, Shapefile name in a zip, KML folder
    lon: str | None = None  # CSV column names, when not one of the common ones
    lat: str | None = None
    wkt: str | None = None
    geometry: str | None = None  # "point" | "line" | "polygon": keep only this family


@dataclass(frozen=True)
class ImportLimits:
    """Bounds that keep a hostile or broken file from exhausting the server."""

    max_bytes: int = 200_000_000
    zip_max_uncompressed_bytes: int = 2_000_000_000
    zip_max_members: int = 1000
    zip_max_ratio: int = 200
    max_report_rows: int = 1000  # rejected/repaired rows listed in a report (all are counted)

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_bytes=settings.upload_max_bytes,
            zip_max_uncompressed_bytes=settings.zip_max_uncompressed_bytes,
            zip_max_members=settings.zip_max_members,
            zip_max_ratio=settings.zip_max_ratio,
        )
