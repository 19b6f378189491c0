"""``iocmap layers``: import a file into a layer (with a progress bar), list layers, build tile stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from layers import layer_admin
from layers.db import session_scope
from layers.errors import DomainError, NotFound
from layers.ingest.jobs import PHASES
from layers.ingest.options import ImportLimits, ImportOptions
from layers.ingest.pipeline import import_file
from layers.settings import get_settings
from layers.tiles import store as tile_store

layers_app = typer.Typer(help="Lớp bản đồ / map layers", no_args_is_help=True)
console = Console()


def _factory():  # type: ignore[no-untyped-def]
    from iocmap.cli import _sessionmaker  # the composition root owns engine/cluster start-up

    return _sessionmaker(get_settings())[1]


def _fail(exc: DomainError) -> None:
    console.print(f"[red]{exc.message}[/red]")
    if exc.extra:
        console.print(json.dumps(exc.extra, ensure_ascii=False, default=str)[:4000], markup=False)
    raise typer.Exit(1) from exc


def _print_report(report: dict[str, Any]) -> None:
    table = Table("", "", show_header=False)
    crs = report["crs"]
    for key, value in (
        ("phiên bản / version", report["version"]),
        ("định dạng / format", f"{report['format']} {report.get('table') or ''}".strip()),
        ("hệ tọa độ / CRS", f"{crs['name']} ({crs['source']})"),
        ("bảng mã / encoding", f"{report['encoding']} ({report['encoding_source']})"),
        ("hình học / geometry", report["geometry_type"]),
        ("đã đọc / rows read", report["rows_read"]),
        ("đã nhập / imported", report["features_imported"]),
        ("đã sửa / repaired", report["repaired_count"]),
        ("bị loại / rejected", report["rejected_count"]),
        ("thời gian / seconds", ", ".join(f"{k} {v}" for k, v in report["timings"].items())),
    ):
        table.add_row(key, str(value))
    console.print(table)
    for row in report["rejected"][:20] + report["repaired"][:20]:
        console.print(f"  dòng / row {row['row']}: {row['code']} — {row['message']}", markup=False)
    for note in report["notes"]:
        console.print(f"  • {note}", markup=False)


@layers_app.command("import")
def layers_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    slug: Annotated[str, typer.Option(help="layer slug, e.g. truong-hoc")],
    create: Annotated[bool, typer.Option(help="create the layer if it does not exist")] = False,
    title: Annotated[str | None, typer.Option(help="Vietnamese title for --create")] = None,
    group: Annotated[str, typer.Option(help="group for --create")] = "other",
    visibility: Annotated[str, typer.Option(help="public | internal, for --create")] = "internal",
    crs: Annotated[str | None, typer.Option(help="EPSG:4326, VN2000-TM3-108.5, ...")] = None,
    encoding: Annotated[str | None, typer.Option(help="utf-8 | cp1258 | tcvn3 | vni")] = None,
    table: Annotated[str | None, typer.Option(help="GeoPackage table / Shapefile / KML folder")] = None,
    lon: Annotated[str | None, typer.Option(help="CSV longitude column")] = None,
    lat: Annotated[str | None, typer.Option(help="CSV latitude column")] = None,
    wkt: Annotated[str | None, typer.Option(help="CSV WKT column")] = None,
    geometry: Annotated[str | None, typer.Option(help="keep only point | line | polygon")] = None,
) -> None:
    """Import FILE as the next version of layer SLUG (one transaction: all or nothing)."""
    options = ImportOptions(crs=crs, encoding=encoding, table=table, lon=lon, lat=lat, wkt=wkt,
                            geometry=geometry)
    limits = ImportLimits.from_settings(get_settings())
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        factory = _factory()
        with Progress(*columns, console=console) as bar, session_scope(factory) as session:
            if create:
                try:
                    layer_admin.managed_layer(session, slug)
                except NotFound:
                    layer_admin.create_layer(session, slug, {"title_vi": title or slug, "layer_group": group,
                                                             "visibility": visibility}, None)
            task = bar.add_task(PHASES["read"], total=None)

            def progress(phase: str, done: int, total: int | None) -> None:
                bar.update(task, description=PHASES.get(phase, phase), completed=done, total=total)

            _, report = import_file(session, slug, file, file.name, options, limits, None, progress)
    except DomainError as exc:
        _fail(exc)
        return
    _print_report(report)


@layers_app.command("list")
def layers_list() -> None:
    """List the catalogue with each layer's current version and feature count."""
    try:
        with session_scope(_factory()) as session:
            rows = layer_admin.catalogue(session)
    except DomainError as exc:
        _fail(exc)
        return
    # Plain aligned lines, not a rich table: slugs must never be cut, and the output greps well.
    header = ("slug", "version", "features", "geometry", "visibility", "kind", "group", "title")
    lines = [header] + [(r["slug"], str(r["version"]), str(r["features"]), r["geometry_type"],
                         r["visibility"], r["kind"], r["group"], r["title_vi"]) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)) + "  " + line[-1])


@layers_app.command("prepare")
def layers_prepare() -> None:
    """Build the missing tile stores of every layer's current version (``iocmap serve`` does
    it at start; run it after loading layer_features by hand)."""
    try:
        with session_scope(_factory()) as session:
            built = tile_store.ensure_current(session)
    except DomainError as exc:
        _fail(exc)
        return
    typer.echo(f"tile stores built: {built}")
