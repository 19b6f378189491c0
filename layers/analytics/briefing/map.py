"""The standalone HTML briefing map (folium); see the package docstring."""

from __future__ import annotations

import html
import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from layers import admin_units
from layers.analytics import heatmap, hotspots
from layers.analytics.window import VN, Window
from layers.errors import InvalidInput
from layers.incidents import kinds
from layers.incidents import queries as incident_queries
from layers.incidents.views import feature as incident_feature

MAP_LAYERS = ("heatmap", "hotspots", "incidents", "boundaries")
BLUES = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")  # light → dark orange
SEVERITY_COLOURS = {1: "#2b83ba", 2: "#fdae61", 3: "#e66101", 4: "#b2182b"}
HOT = {
    ("hot", 99): "#b2182b",
    ("hot", 95): "#ef8a62",
    ("hot", 90): "#fddbc7",
    ("cold", 99): "#2166ac",
    ("cold", 95): "#67a9cf",
    ("cold", 90): "#d1e5f0",
}


def _breaks(values: list[int]) -> list[int]:
    """Five classes by quantile, so a few very busy cells do not wash out the rest."""
    if not values:
        return [1, 2, 3, 4]
    ordered = sorted(values)
    return [ordered[min(len(ordered) - 1, int(len(ordered) * q))] for q in (0.2, 0.4, 0.6, 0.8)]


def _colour(value: int, breaks: list[int]) -> str:
    for i, b in enumerate(breaks):
        if value <= b:
            return BLUES[i]
    return BLUES[-1]


def _legend(items: list[tuple[str, str]], title: str) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{c};'
        f'border:1px solid #555;margin-right:6px"></span>{html.escape(label)}</div>'
        for c, label in items
    )
    return f'<div style="margin-bottom:6px"><b>{html.escape(title)}</b>{rows}</div>'


def _inline_leaflet(page: str, leaflet_dir: Path | None) -> str:
    if leaflet_dir is None or not (leaflet_dir / "leaflet.js").exists():
        return page
    js = (leaflet_dir / "leaflet.js").read_text(encoding="utf-8")
    css = (leaflet_dir / "leaflet.css").read_text(encoding="utf-8")
    page = page.replace(
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>',
        f"<script>{js}</script>",
    )
    return page.replace(
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>',
        f"<style>{css}</style>",
    )


def briefing_map(
    session: Session,
    w: Window,
    *,
    title: str | None = None,
    layers: tuple[str, ...] = MAP_LAYERS,
    leaflet_dir: Path | None = None,
    now: datetime | None = None,
) -> str:
    """The standalone HTML page of a briefing map for a resolved window."""
    import folium

    bad = [name for name in layers if name not in MAP_LAYERS]
    if bad:
        raise InvalidInput(
            f"Lớp bản đồ không hợp lệ / unknown map layer: {bad[0]}",
            code="bad_map_layer",
            allowed=list(MAP_LAYERS),
        )
    period = f"{w.start.astimezone(VN):%d/%m/%Y} – {(w.end - timedelta(seconds=1)).astimezone(VN):%d/%m/%Y}"
    title = title or "Báo cáo nhanh tình hình phản ánh và sự cố — huyện Đắk Mil"
    made = (now or datetime.now(VN)).astimezone(VN)
    fmap = folium.Map(location=[12.45, 107.63], zoom_start=11, tiles="OpenStreetMap", control_scale=True)
    fmap.default_js = [js for js in fmap.default_js if js[0] == "leaflet"]
    fmap.default_css = [css for css in fmap.default_css if css[0] == "leaflet_css"]
    legend: list[str] = []
    bounds: list[list[float]] = []

    if "boundaries" in layers:
        communes = admin_units.units_on(
            session, "commune", (w.end - timedelta(seconds=1)).astimezone(VN).date()
        )
        group = folium.FeatureGroup(name="Ranh giới xã / communes")
        for f in communes["features"]:
            folium.GeoJson(
                f,
                style_function=lambda _: {"color": "#333", "weight": 1.5, "fill": False},
                tooltip=html.escape(f["properties"]["name"]),
            ).add_to(group)
        group.add_to(fmap)
        legend.append(_legend([("#ffffff", "Ranh giới xã / commune boundary")], "Hành chính"))

    if "heatmap" in layers:
        fc = heatmap.heatmap(session, w)
        breaks = _breaks([f["properties"]["count"] for f in fc["features"]])
        group = folium.FeatureGroup(name=f"Mật độ phản ánh (H3 r{w.resolution}) / report density")
        for f in fc["features"]:
            p = f["properties"]
            tip = f"{p['count']} phản ánh; quá hạn {round(100 * p.get('overdue_share', 0))} %; " + ", ".join(
                f"{c['code']} {c['count']}" for c in p["top_categories"]
            )
            folium.GeoJson(
                f,
                style_function=lambda _, c=_colour(p["count"], breaks): {
                    "color": c,
                    "weight": 0.5,
                    "fillColor": c,
                    "fillOpacity": 0.65,
                },
                tooltip=tip,
            ).add_to(group)
            bounds += [[y, x] for x, y in f["geometry"]["coordinates"][0]]
        group.add_to(fmap)
        labels = [
            f"≤ {breaks[0]}",
            *(f"{a + 1}–{b}" for a, b in itertools.pairwise(breaks)),
            f"> {breaks[-1]}",
        ]
        legend.append(
            _legend(list(zip(BLUES, labels, strict=True)), f"Số phản ánh mỗi ô (tổng {fc['meta']['total']})")
        )

    if "hotspots" in layers:
        try:
            hs = hotspots.hotspots(session, w)
        except InvalidInput:
            hs = None  # too few cells at this resolution: the map goes without hotspots
        if hs is not None:
            group = folium.FeatureGroup(name="Điểm nóng Gi* / hotspots")
            for f in hs["features"]:
                p = f["properties"]
                if p["confidence"] is None:
                    continue
                colour = HOT[(p["class"], p["confidence"])]
                folium.GeoJson(
                    f,
                    style_function=lambda _, c=colour: {"color": c, "weight": 2, "fill": False},
                    tooltip=f"{p['class']} {p['confidence']} % (z = {p['z']})",
                ).add_to(group)
            group.add_to(fmap)
            legend.append(
                _legend([(c, f"{k[0]} {k[1]} %") for k, c in HOT.items()], "Điểm nóng/lạnh Gi* (FDR)")
            )

    if "incidents" in layers:
        found = incident_queries.as_features(
            session,
            incident_queries.Filters(
                since=w.start, until=w.end, bbox=w.bbox, commune=w.commune, agency=w.agency
            ),
        )
        group = folium.FeatureGroup(name="Sự cố / incidents")
        for row in found:
            feature = incident_feature(row)
            colour = SEVERITY_COLOURS[row["severity"]]
            tip = (
                f"{row['code']} — {kinds.TYPE_LABELS[row['type']][0]} — "
                f"{kinds.STATUS_LABELS[row['status']][0]} — {row['title']}"
            )
            if feature["geometry"]["type"] == "Point":
                folium.CircleMarker(
                    [row["lat"], row["lon"]],
                    radius=4 + 2 * row["severity"],
                    color=colour,
                    fill=True,
                    fill_opacity=0.9,
                    tooltip=html.escape(tip),
                ).add_to(group)
            else:
                folium.GeoJson(
                    feature,
                    style_function=lambda _, c=colour: {
                        "color": c,
                        "weight": 2,
                        "fillColor": c,
                        "fillOpacity": 0.25,
                    },
                    tooltip=html.escape(tip),
                ).add_to(group)
            bounds.append([row["lat"], row["lon"]])
        group.add_to(fmap)
        legend.append(
            _legend(
                [(SEVERITY_COLOURS[s], kinds.SEVERITY_LABELS[s][0]) for s in SEVERITY_COLOURS],
                f"Sự cố theo mức độ ({len(found)})",
            )
        )

    folium.LayerControl(collapsed=False).add_to(fmap)
    if bounds:
        lats = [b[0] for b in bounds]
        lons = [b[1] for b in bounds]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    header = (
        f'<div id="briefing-title" style="position:fixed;top:10px;left:60px;z-index:1000;background:#fff;'
        f'padding:8px 12px;border:1px solid #999;border-radius:4px;font-family:sans-serif">'
        f'<div style="font-size:16px;font-weight:bold">{html.escape(title)}</div>'
        f"<div>Kỳ báo cáo / period: {html.escape(period)}</div>"
        f'<div style="font-size:11px;color:#555">Lập lúc / made {made:%d/%m/%Y %H:%M} '
        "(giờ Việt Nam)</div></div>"
    )
    box = (
        f'<div id="briefing-legend" style="position:fixed;bottom:20px;left:10px;z-index:1000;background:#fff;'
        f'padding:8px 12px;border:1px solid #999;border-radius:4px;font:12px sans-serif;max-width:260px">'
        f'<div style="font-weight:bold;margin-bottom:4px">Chú giải / legend</div>{"".join(legend)}</div>'
    )
    root: Any = fmap.get_root()
    root.html.add_child(folium.Element(header + box))
    root.header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
    return _inline_leaflet(root.render(), leaflet_dir)


# ---- KPI tables ------------------------------------------------------------------------------
