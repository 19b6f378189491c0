"""Briefing exports: a standalone HTML map (folium) and the KPI tables as CSV and Excel.

The map inlines Leaflet (the copy the web front end installs from npm) instead of the
CDN links folium writes by default, so the file opens on a laptop in a meeting room
without internet; only the OpenStreetMap background needs a connection. Layers: the H3
density of reports, hotspots (Gi*), incidents (points and areas, by severity) and the
commune boundaries valid at the period's end; legend, title and date are part of the page.
"""

from __future__ import annotations

from layers.analytics.briefing.map import MAP_LAYERS, briefing_map
from layers.analytics.briefing.tables import TABLES, kpi_csv, kpi_tables, kpi_xlsx

__all__ = ["MAP_LAYERS", "TABLES", "briefing_map", "kpi_csv", "kpi_tables", "kpi_xlsx"]
