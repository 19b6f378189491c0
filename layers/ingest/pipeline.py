"""The import pipeline: read → CRS → validate/repair → rows → a new layer version.

Everything up to the write is done in memory and private temp files, so a file that
fails anywhere leaves the database untouched; the write itself happens inside the
caller's transaction (:func:`layers.features.write_version`), so a failure there rolls
back too. The report (counts, repaired and rejected rows, dropped Z/M, CRS, encoding,
timings) is stored with the version and returned.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

import shapely
from pyproj import CRS
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from gis.crs import resolve_crs
from gis.errors import GisError
from gis.geojson import feature, feature_collection
from gis.geometry import GeometryError, clean_geometries, crs_candidates, outside_vietnam
from layers.errors import InvalidInput
from layers.features import FeatureRow, VersionSource, write_version
from layers.ingest.archive import private_dir, too_large
from layers.ingest.attributes import parse_datetime, schema
from layers.ingest.options import ImportLimits, ImportOptions, Progress
from layers.ingest.readers import read_source
from layers.ingest.source import SourceTable
from layers.layer_admin import ensure_uploadable, managed_layer
from layers.models import LayerVersion

PREVIEW_FEATURES = 50


@dataclass
class Prepared:
    rows: list[FeatureRow]
    attributes: list[dict[str, Any]]
    geometry_type: str
    report: dict[str, Any]
    source: VersionSource


def _invalid(exc: GisError) -> InvalidInput:
    return InvalidInput(exc.message, code=exc.code, **getattr(exc, "extra", {}))


def _crs_name(crs: CRS) -> str:
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    return str(base.name)


def _resolve(table: SourceTable, options: ImportOptions) -> tuple[CRS, dict[str, Any]]:
    """The planner's CRS wins over the file's; with neither, refuse and suggest some."""
    try:
        if options.crs:
            crs = resolve_crs(options.crs)
            info: dict[str, Any] = {"source": "stated", "input": options.crs, "name": _crs_name(crs)}
            if table.crs_text:
                info["file"] = table.crs_text[:500]
            return crs, info
        if table.crs_text:
            crs = resolve_crs(table.crs_text)
            return crs, {"source": "file", "name": _crs_name(crs)}
    except GisError as exc:
        raise _invalid(exc) from exc
    present = table.geoms[~shapely.is_missing(table.geoms)]
    bounds = shapely.total_bounds(present).tolist() if len(present) else None
    raise InvalidInput(
        "Tệp không cho biết hệ tọa độ; hãy chọn (vd. EPSG:4326, VN2000-TM3-108.5). / The file does not state "
        "its coordinate reference system; choose one (e.g. EPSG:4326, VN2000-TM3-108.5).",
        code="crs_required", suggestions=crs_candidates(bounds) if bounds else [], source_bounds=bounds)


def _listed(items: list[Any], limit: int) -> list[dict[str, Any]]:
    return [i.as_dict() for i in items[:limit]]


def _no_valid(rejected: list[Any]) -> InvalidInput:
    return InvalidInput("Không còn đối tượng hợp lệ nào / no valid features remain", code="no_valid_features",
                        rejected_count=len(rejected), rejected=_listed(rejected, 100))


def prepare(path: Path, filename: str, options: ImportOptions, limits: ImportLimits, *,
            previous_attributes: list[dict[str, Any]] | None = None, time_field: str | None = None,
            progress: Progress | None = None) -> Prepared:
    """Read and validate a file completely, without touching the database."""
    if path.stat().st_size > limits.max_bytes:
        raise too_large(limits.max_bytes)
    t0 = perf_counter()
    if progress:
        progress("read", 0, None)
    work = private_dir("iocmap-ingest-")
    try:
        table = read_source(path, filename, options, limits, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t_read = perf_counter()
    if table.rows_read == 0:
        raise InvalidInput("Tệp không có đối tượng nào / the file has no features", code="no_features")
    if not len(table.geoms):  # every row was refused while reading (e.g. CSV coordinates)
        raise _no_valid(table.rejected)
    if progress:
        progress("validate", 0, len(table.geoms))
    crs, crs_info = _resolve(table, options)
    try:
        clean = clean_geometries(table.geoms, rows=table.rows, crs=crs, keep=options.geometry,
                                 unreadable=table.unreadable)
    except (GeometryError, GisError) as exc:
        raise _invalid(exc) from exc
    rejected = sorted(table.rejected + clean.rejected, key=lambda r: r.row)
    if clean.geometry_type is None:
        raise _no_valid(rejected)
    names = list(table.columns)
    kept = clean.kept.tolist()
    columns = [[table.columns[n][i] for i in kept] for n in names]
    props = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)] if names \
        else [{} for _ in kept]
    times: list[Any] = [None] * len(kept)
    if time_field and time_field in table.columns:
        times = [parse_datetime(v) for v in columns[names.index(time_field)]]
    rows = [FeatureRow(g, p, t) for g, p, t in zip(clean.geometries, props, times, strict=True)]
    bbox = shapely.total_bounds(clean.geometries).tolist()
    notes = list(table.notes)
    if clean.dropped_z or clean.dropped_m:
        notes.append(f"Đã bỏ cao độ Z ({clean.dropped_z}) / giá trị M ({clean.dropped_m}) — lưu 2D. / "
                     f"Dropped Z values ({clean.dropped_z}) and M values ({clean.dropped_m}); stored in 2D.")
    if outside_vietnam(bbox):
        notes.append("Phạm vi dữ liệu nằm ngoài Việt Nam — kiểm tra hệ tọa độ. / The data lies outside "
                     "Viet Nam — check the coordinate reference system.")
    if time_field and time_field not in table.columns:
        notes.append(f"Không có trường thời gian {time_field!r} / time field {time_field!r} not in the file")
    report: dict[str, Any] = {
        "filename": filename, "format": table.format, "table": table.table, "tables": table.tables,
        "crs": crs_info, "encoding": table.encoding, "encoding_source": table.encoding_source,
        "rows_read": table.rows_read, "features_imported": len(rows), "geometry_type": clean.geometry_type,
        "promoted_to_multi": clean.promoted_to_multi, "dropped_z": clean.dropped_z,
        "dropped_m": clean.dropped_m, "repaired_count": len(clean.repaired),
        "repaired": _listed(clean.repaired, limits.max_report_rows), "rejected_count": len(rejected),
        "rejected_by_code": dict(Counter(r.code for r in rejected)),
        "rejected": _listed(rejected, limits.max_report_rows), "notes": notes, "bbox": bbox,
        "timings": {"read_s": round(t_read - t0, 3), "validate_s": round(perf_counter() - t_read, 3)},
    }
    source = VersionSource(filename=filename[:255], format=table.format, crs=crs_info.get("input") or
                           crs_info["name"], encoding=table.encoding, report=report)
    return Prepared(rows, schema(table.types, previous_attributes), clean.geometry_type, report, source)


def _counted(rows: list[FeatureRow], progress: Progress | None, every: int = 5000) -> Iterator[FeatureRow]:
    total = len(rows)
    for i, row in enumerate(rows, start=1):
        yield row
        if progress and (i % every == 0 or i == total):
            progress("write", i, total)


def import_file(session: Session, slug: str, path: Path, filename: str, options: ImportOptions,
                limits: ImportLimits, user_id: int | None,
                progress: Progress | None = None) -> tuple[LayerVersion, dict[str, Any]]:
    """Import a file as the next version of layer ``slug``, in the caller's transaction."""
    layer = managed_layer(session, slug)
    ensure_uploadable(layer)
    prepared = prepare(path, filename, options, limits, previous_attributes=layer.attributes,
                       time_field=layer.time_field, progress=progress)
    t0 = perf_counter()
    layer = managed_layer(session, slug, for_update=True)  # one import per layer at a time
    version = write_version(session, layer, _counted(prepared.rows, progress), attributes=prepared.attributes,
                            user_id=user_id, source=prepared.source)
    layer.geometry_type = prepared.geometry_type
    report = {**prepared.report, "version": version.version}
    report["timings"] = {**report["timings"], "write_s": round(perf_counter() - t0, 3)}
    version.report = report
    session.flush()
    return version, report


def preview_file(session: Session, slug: str, path: Path, filename: str, options: ImportOptions,
                 limits: ImportLimits) -> dict[str, Any]:
    """What an import would do, and the first features, without writing anything."""
    layer = managed_layer(session, slug)
    ensure_uploadable(layer)
    prepared = prepare(path, filename, options, limits, previous_attributes=layer.attributes,
                       time_field=layer.time_field)
    sample = prepared.rows[:PREVIEW_FEATURES]
    return {
        "report": prepared.report, "attributes": prepared.attributes,
        "geometry_type": prepared.geometry_type, "feature_count": len(prepared.rows),
        "features": feature_collection(
            [feature(mapping(r.geometry), r.properties, i) for i, r in enumerate(sample, start=1)]),
    }

