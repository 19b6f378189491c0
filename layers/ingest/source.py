"""What a reader hands to the pipeline: geometries in the file's CRS, decoded columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gis.geometry import RowIssue


@dataclass
class SourceTable:
    format: str  # geojson | shapefile | gpkg | kml | kmz | csv
    geoms: npt.NDArray[np.object_]  # shapely geometries or None, in the file's CRS
    columns: dict[str, list[Any]]  # attribute name → one value per geometry
    types: dict[str, str]  # attribute name → schema type
    crs_text: str | None = None  # the CRS the file states (.prj text, WKT, "EPSG:4326")
    table: str | None = None
    tables: list[str] = field(default_factory=list)
    encoding: str | None = None
    encoding_source: str | None = None  # stated | cpg | detected | format
    rows: npt.NDArray[np.int64] | None = None  # row numbers when not simply 1..n
    unreadable: npt.NDArray[np.bool_] | None = None  # geometry bytes that did not decode
    rejected: list[RowIssue] = field(default_factory=list)  # rows refused while reading
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)
