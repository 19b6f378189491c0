"""Vector tiles (Mapbox Vector Tile) of catalogue layers, built in PostGIS with ST_AsMVT.

Two kinds of tile per layer (``mode``):

* ``product`` (default; what the web map draws): the attributes that popups show, lines and
  polygons simplified per zoom (and, below the layer's max zoom, left out when their bounding
  box is under two screen pixels: counted in ``X-Tile-Subpixel``), point layers with the
  points of the 64-unit buffer around the tile, and point layers *thinned* below the full-detail zoom
  (min(layer max_zoom, 16)): the points of each 32-pixel cell (32 x 32 cells per tile)
  are merged into one feature of the ``clusters`` MVT layer with a ``count`` attribute
  (> 1), while a cell holding a single point keeps the real feature, so sparse points are
  untouched. The counts of a tile always sum to its true number of points. From the
  full-detail zoom up every feature is in the tile.
* ``full``: every feature of the tile with every attribute, never thinned or simplified
  (points: those inside the tile, as OGC tile servers serve them).

Every real feature carries its ``fid`` as the MVT feature id. Nothing is dropped silently:
a tile with more features than the configured limit is refused with a 422
(``tile_too_dense``) rather than cut short, and lines or polygons too small to draw at the
tile's zoom are counted in the ``X-Tile-Subpixel`` response header.

Tiles read each version's *tile store* (``store``: its features once more, typed columns in
spatial order), or ``layer_features`` for a version without one.

Modules: ``settings`` (IOCMAP_TILE_*), ``plan`` (what a tile contains, its ETag and cache
key), ``render`` (the SQL), ``store`` (the typed per-version tables), ``clusters`` (the
thinning pyramid), ``cache`` (in-process LRU), ``tilejson`` (TileJSON 3.0.0), ``service``
(the entry points used by the API).
"""
