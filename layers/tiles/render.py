"""The tile SQL: ST_AsMVT over ``layer_features`` or over the thinning pyramid.

Every value is a bound parameter. MVT attribute names are column aliases, so they are
quoted identifiers built from the layer's own attribute schema (never from the request);
a name PostgreSQL cannot carry as an identifier (over 63 bytes, or starting with ``__``,
the prefix of our internal columns and row aliases, which an attribute must not shadow)
travels in a jsonb column instead, which ST_AsMVT expands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.errors import NumericValueOutOfRange
from psycopg.types.numeric import Int4
from sqlalchemy.orm import Session

from gis import tiles as tm
from layers.db import fetch_row
from layers.errors import InvalidInput
from layers.tiles.plan import CLUSTER_LAYER, Attribute, TilePlan

_MAX_IDENT_BYTES = 63


@dataclass(frozen=True)
class Rendered:
    data: bytes
    features: int  # features encoded in the tile (clusters count once)
    points: int  # features of the layer the tile represents (= features unless thinned)
    subpixel: int  # lines/polygons in the tile too small to draw at this zoom
    # Thinned tiles: the version's pyramid was not there in the statement's snapshot.
    unbuilt: bool = False


def int4(value: int) -> Int4:
    """Bind an integer as int4. psycopg sends a small Python int as int2, and the btree_gist
    operator class of the (layer_id, version, geom_3857) index has no int4 = int2 operator:
    the planner would then use the index for the geometry alone (measured 10x slower)."""
    return Int4(value)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def value_sql(kind: str, key: str, src: str, guarded: bool) -> str:
    """SQL reading property ``:key`` of ``src.properties`` as the schema type (NULL if it is not).

    ``guarded`` adds the range tests that keep a JSON number too large for int8/float8 from
    failing the statement; they cost more than the rest of a full point tile, so tiles are
    first built without them (see ``_run_typed``): a value out of range then fails the
    statement with SQLSTATE 22003 instead of silently changing the result. The tile store
    is filled with the guarded form, once per version.
    """
    p = f"{src}.properties"
    key = f"CAST(:{key} AS text)"
    # jsonb keeps numbers as numeric: ::int8/::float8 read them without the numeric -> text
    # conversion that ->> would cost.
    if kind == "integer":
        check = (f" AND ({p} -> {key})::numeric BETWEEN -9223372036854775808 AND 9223372036854775807"
                 if guarded else "")
        return f"CASE WHEN jsonb_typeof({p} -> {key}) = 'number'{check} THEN ({p} -> {key})::int8 END"
    if kind == "number":
        check = f" AND ({p} -> {key})::numeric BETWEEN -1e308 AND 1e308" if guarded else ""
        return f"CASE WHEN jsonb_typeof({p} -> {key}) = 'number'{check} THEN ({p} -> {key})::float8 END"
    if kind == "boolean":
        return f"CASE WHEN jsonb_typeof({p} -> {key}) = 'boolean' THEN ({p} ->> {key})::boolean END"
    return f"{p} ->> {key}"


def _select_list(attributes: tuple[Attribute, ...], exprs: list[str]) -> tuple[str, dict[str, Any]]:
    """``, expr AS "name", ...`` for the select list, and the binds it uses (``k0``, ``k1``...:
    the attribute names)."""
    cols: list[str] = []
    odd: list[str] = []
    binds: dict[str, Any] = {}
    for i, (a, expr) in enumerate(zip(attributes, exprs, strict=True)):
        binds[f"k{i}"] = a.name
        if a.name.startswith("__") or "\x00" in a.name or len(a.name.encode()) > _MAX_IDENT_BYTES:
            odd.append(f"CAST(:k{i} AS text), {expr}")
        else:
            cols.append(f", {expr} AS {_quote(a.name)}")
    if odd:
        cols.append(f", jsonb_strip_nulls(jsonb_build_object({', '.join(odd)})) AS __json")
    return "".join(cols), binds


def attribute_columns(attributes: tuple[Attribute, ...], src: str,
                      guarded: bool = True) -> tuple[str, dict[str, Any]]:
    """The plan's attributes read from ``src.properties`` (JSONB) as their schema types."""
    exprs = [value_sql(a.type, f"k{i}", src, guarded) for i, a in enumerate(attributes)]
    return _select_list(attributes, exprs)


def store_columns(plan: TilePlan, src: str) -> tuple[str, dict[str, Any]]:
    """The plan's attributes read from its tile store's typed columns."""
    return _select_list(plan.attributes, [f"{src}.{column}" for column in plan.store_columns])


# Relies on the GiST index ix_layer_features_geom_3857 (layer_id, version, geom_3857): the
# envelope is computed once in `e` and compared with the stored EPSG:3857 geometry, never
# a transformed column. The LIMIT is the feature cap + 1, so an over-full tile is detected
# after bounded work and refused, never truncated.
_ENVELOPES = """
WITH e AS (SELECT ST_TileEnvelope(CAST(:z AS integer), CAST(:x AS integer), CAST(:y AS integer)) AS env,
                  ST_TileEnvelope(CAST(:z AS integer), CAST(:x AS integer), CAST(:y AS integer),
                                  margin => CAST(:margin AS float8)) AS area)"""

# Points: the few the float4-box && lets through from just beyond the buffer are clipped
# by ST_AsMVTGeom; they belong to the next tile, so nothing is lost.
_POINTS_SQL = """{envelopes}
SELECT coalesce(ST_AsMVT(__t, CAST(:layer_name AS text), {extent}, '__geom', '__fid'), ''::bytea) AS mvt,
       count(__t.__geom) AS features, 0 AS subpixel, count(*) AS rows
FROM (SELECT lf.fid AS __fid{columns},
             ST_AsMVTGeom(lf.geom_3857, e.env, {extent}, {buffer}, true) AS __geom
      FROM e JOIN {source} lf.geom_3857 && {area}
      LIMIT :cap) __t
"""

# The rows of the plan's version: its tile store (already one version, GiST on geom_3857
# alone), or layer_features through ix_layer_features_geom_3857.
_FROM_FEATURES = "layer_features lf ON lf.layer_id = :layer AND lf.version = :version AND"

# Lines and polygons: ST_AsMVTGeom returns NULL for a feature too small to draw at this
# zoom; those that really intersect the tile are counted (the exact test runs only on
# them), so the response can say how many are invisible here. The LATERAL row carries
# only the MVT columns into ST_AsMVT.
_SHAPES_SQL = """{envelopes}
SELECT coalesce(ST_AsMVT(__t, CAST(:layer_name AS text), {extent}, '__geom', '__fid'), ''::bytea) AS mvt,
       count(__t.__geom) AS features,
       count(*) FILTER (WHERE __t.__geom IS NULL AND ST_Intersects(s.geom_3857, s.area)) AS subpixel,
       count(*) AS rows
FROM (SELECT lf.fid, {carry}, lf.geom_3857, e.area, {mvt_geom} AS g
      FROM e JOIN {source} lf.geom_3857 && e.area
      LIMIT :cap) s
CROSS JOIN LATERAL (SELECT s.fid AS __fid{columns}, s.g AS __geom) __t
"""

# Reads one tile's cells (one row, by the primary key of layer_point_clusters: layer_id,
# version, z, tx, ty), whose positions are already MVT units of the tile; single-point
# cells fetch their feature through the unique (layer_id, version, fid) index for its
# popup attributes. ``unbuilt`` (zoom 0 has a row for any non-empty version) is read in the
# same snapshot as the cells: a separate later probe could see a pyramid committed in
# between and so take an empty answer for the truth.
_CLUSTERS_SQL = """
WITH c AS MATERIALIZED (
    SELECT u.n, u.fid, ST_Point(u.px, u.py) AS g
    FROM layer_point_clusters p, unnest(p.n, p.fid, p.px, p.py) AS u(n, fid, px, py)
    WHERE p.layer_id = :layer AND p.version = :version AND p.z = :z AND p.tx = :x AND p.ty = :y)
SELECT coalesce((SELECT ST_AsMVT(__t, CAST(:layer_name AS text), {extent}, '__geom', '__fid') FROM (
           SELECT c.fid AS __fid{columns}, c.g AS __geom
           FROM c JOIN layer_features lf ON lf.layer_id = :layer AND lf.version = :version AND lf.fid = c.fid
           WHERE c.n = 1) __t), ''::bytea)
    || coalesce((SELECT ST_AsMVT(__k, '{clusters}', {extent}, '__geom') FROM (
           SELECT c.n AS count, c.g AS __geom FROM c WHERE c.n > 1) __k), ''::bytea) AS mvt,
    (SELECT count(*) FROM c) AS rows,
    (SELECT coalesce(sum(n), 0) FROM c) AS points,
    NOT EXISTS (SELECT 1 FROM layer_point_clusters
                WHERE layer_id = :layer AND version = :version AND z = 0) AS unbuilt
"""


# (layer id, version) whose numbers do not all fit int8/float8: their tiles are built with
# the guarded SQL from the start. A version never changes, so the fact holds for good.
_OUT_OF_RANGE: set[tuple[int, int]] = set()
_OUT_OF_RANGE_MAX = 10_000


def _run_typed(session: Session, plan: TilePlan, template: str, params: dict[str, Any], src: str) -> Any:
    """Run the tile SQL ``template`` with the plan's attributes in place of ``{columns}``:
    unguarded first, and guarded when a number of this version is out of range, so the
    answer is always the one the guarded SQL gives (see ``value_sql``). In a transaction the
    unguarded try runs in a savepoint; in autocommit mode a failed statement costs nothing."""
    key = (plan.layer_id, plan.version)
    numeric = any(a.type in ("integer", "number") for a in plan.attributes)
    if numeric and key not in _OUT_OF_RANGE:
        columns, binds = attribute_columns(plan.attributes, src, guarded=False)
        sql = template.replace("{columns}", columns)
        raw = session.connection().connection.driver_connection
        assert raw is not None
        try:
            if raw.autocommit:
                return fetch_row(session, sql, {**params, **binds})
            with raw.transaction():  # a savepoint inside the caller's transaction
                return fetch_row(session, sql, {**params, **binds})
        except NumericValueOutOfRange:
            if len(_OUT_OF_RANGE) >= _OUT_OF_RANGE_MAX:
                _OUT_OF_RANGE.clear()
            _OUT_OF_RANGE.add(key)
    columns, binds = attribute_columns(plan.attributes, src, guarded=True)
    return fetch_row(session, template.replace("{columns}", columns), {**params, **binds})


def render_features(session: Session, plan: TilePlan, max_features: int) -> Rendered:
    """Every feature of the tile (lines and polygons simplified per zoom when planned)."""
    params: dict[str, Any] = {}
    store = plan.store_table
    source = f"{store} lf ON" if store else _FROM_FEATURES
    if plan.points_only:
        src = "lf"
        # Full tiles hold the points inside the tile (as OGC tile servers do); product tiles
        # also those in the buffer around it, so a canvas renderer (one canvas per tile)
        # draws the part of a marker that crosses the edge.
        area = "e.env" if plan.mode == "full" else "e.area"
        sql = _POINTS_SQL.format(envelopes=_ENVELOPES, columns="{columns}", extent=tm.EXTENT,
                                 buffer=tm.BUFFER, source=source, area=area)
    else:
        src = "s"
        geom = "lf.geom_3857"
        if plan.simplify_m is not None:
            # preserveCollapsed keeps small rings; ST_AsMVTGeom drops what snaps to nothing.
            geom = "ST_Simplify(lf.geom_3857, CAST(:tolerance AS float8), true)"
            params["tolerance"] = plan.simplify_m
        mvt_geom = f"ST_AsMVTGeom({geom}, e.env, {tm.EXTENT}, {tm.BUFFER}, true)"
        if plan.min_size_m is not None:
            # Too small to draw here: NULL, so counted in ``subpixel`` and left out.
            mvt_geom = (f"CASE WHEN greatest(ST_XMax(lf.geom_3857) - ST_XMin(lf.geom_3857), "
                        f"ST_YMax(lf.geom_3857) - ST_YMin(lf.geom_3857)) >= CAST(:min_size AS float8) "
                        f"THEN {mvt_geom} END")
            params["min_size"] = plan.min_size_m
        carry = ", ".join(f"lf.{c}" for c in plan.store_columns) if store else "lf.properties"
        sql = _SHAPES_SQL.format(envelopes=_ENVELOPES, columns="{columns}", mvt_geom=mvt_geom,
                                 extent=tm.EXTENT, source=source, carry=carry or "NULL AS __none")
    t = plan.tile
    params |= {
        "z": int4(t.z), "x": int4(t.x), "y": int4(t.y), "margin": tm.BUFFER / tm.EXTENT,
        "layer_name": plan.slug, "layer": int4(plan.layer_id), "version": int4(plan.version),
        "cap": max_features + 1,
    }
    if store:
        # Values were converted (guarded) when the store was built: one plain statement.
        columns, binds = store_columns(plan, src)
        row = fetch_row(session, sql.replace("{columns}", columns), {**params, **binds})
    else:  # a version without a store (written before stores existed)
        row = _run_typed(session, plan, sql, params, src)
    if row.rows > max_features:
        raise InvalidInput(
            f"Ô {t} có hơn {max_features} đối tượng; hãy phóng to hoặc dùng ô rút gọn / "
            f"tile {t} has more than {max_features} features: zoom in or use the product tiles",
            code="tile_too_dense", max_features=max_features)
    return Rendered(bytes(row.mvt), features=row.features, points=row.features, subpixel=row.subpixel)


def render_clusters(session: Session, plan: TilePlan) -> Rendered:
    """The thinned tile from the pyramid: single points as themselves, the rest as clusters."""
    sql = _CLUSTERS_SQL.format(columns="{columns}", extent=tm.EXTENT, clusters=CLUSTER_LAYER)
    t = plan.tile
    row = _run_typed(session, plan, sql, {
        "z": int4(t.z), "x": int4(t.x), "y": int4(t.y), "layer_name": plan.slug,
        "layer": int4(plan.layer_id), "version": int4(plan.version),
    }, "lf")
    return Rendered(bytes(row.mvt), features=row.rows, points=int(row.points), subpixel=0,
                    unbuilt=bool(row.unbuilt))
