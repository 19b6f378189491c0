"""Analytics for leaders: H3 heatmaps (``heatmap``), Getis-Ord Gi* hotspots (``hotspots``),
KPIs with trends and the cases behind each number (``kpi``), residents per cell
(``population``) and briefing exports (``briefing``).

Everything aggregates in PostgreSQL on the stored per-resolution cell columns
(``h3_r5`` .. ``h3_r10``): no request loads all points into Python.
"""
