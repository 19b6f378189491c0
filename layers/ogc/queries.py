"""SQL for the OGC API: feature pages and single features of a layer's current version.

Features are serialised to GeoJSON text inside PostgreSQL (one string per page), so a
page of 1,000 features costs no per-row Python work. Pages are ordered by ``fid``
(stable offset paging) and fetched with ``limit + 1`` rows to learn whether a next
page exists without counting the whole selection.

Index use: the current-version filter plus ``geom && envelope`` is served by the GiST
index ``ix_layer_features_geom`` on (layer_id, version, geom); the single-feature lookup
by the unique (layer_id, version, fid) btree.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from layers.models import Layer, LayerVersion
from layers.ogc import cql2
from layers.ogc.fields import Binds, Schema, kind_of, parse_boolean, parse_instant, parse_number, property_sql
from layers.ogc.params import ItemsQuery

# Coordinates with 7 decimals (about 1 cm), as tipg and pygeoapi serve them.
FEATURE_JSON = """'{"type":"Feature","id":' || fid
    || ',"geometry":' || coalesce(ST_AsGeoJSON(geom, 7), 'null')
    || ',"properties":' || properties::text || '}'"""


# For this transaction only. psycopg prepares a statement run five times on a connection,
# after which PostgreSQL may switch to a generic plan that ignores the bbox size: a dense
# bbox then gets the fid-order scan meant for large boxes or the other way round (seen as
# p99 > 8 s under load). Parallel workers only add start-up cost to these LIMIT queries
# when many requests run at once.
_PLAN_SETTINGS = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                      "set_config('max_parallel_workers_per_gather', '0', true)")


@dataclass(frozen=True)
class ItemsPage:
    features_json: str  # the features, comma-separated, without the enclosing brackets
    number_returned: int
    has_next: bool
    number_matched: int | None


def _where(layer: Layer, query: ItemsQuery, schema: Schema, binds: Binds) -> list[str]:
    clauses = [f"layer_id = {binds.add(layer.id)}", f"version = {binds.add(layer.version)}"]
    if query.bbox is not None:
        minx, miny, maxx, maxy = (binds.add(v) for v in query.bbox)
        envelope = f"ST_MakeEnvelope({minx}, {miny}, {maxx}, {maxy}, 4326)"
        clauses.append(f"geom && {envelope}")
        clauses.append(f"ST_Intersects(geom, {envelope})")
    if query.time is not None:
        t = query.time
        clauses.append("dt IS NOT NULL")
        if t.instant and t.start is not None:
            clauses.append(f"dt = {binds.add(t.start)}")
        else:
            if t.start is not None:
                clauses.append(f"dt >= {binds.add(t.start)}")
            if t.end is not None:
                clauses.append(f"dt {'<' if t.end_exclusive else '<='} {binds.add(t.end)}")
    for name, raw in query.equals:
        clauses.append(_equals(schema, name, raw, binds))
    if query.filter is not None:
        clauses.append(cql2.to_sql(query.filter, schema, binds))
    return clauses


def _equals(schema: Schema, name: str, raw: str, binds: Binds) -> str:
    """``?name=value``: the value is read with the attribute's type (a date is a whole day)."""
    field = schema.fields[name]
    column = property_sql(field, schema, binds)
    kind = kind_of(field)
    if kind == "number":
        return f"{column} = CAST({binds.add(parse_number(raw, name))} AS numeric)"
    if kind == "boolean":
        return f"{column} = CAST({binds.add(parse_boolean(raw, name))} AS boolean)"
    if kind == "timestamp":
        start, day_end = parse_instant(raw, name)
        if day_end is not None:
            return f"({column} >= {binds.add(start)} AND {column} < {binds.add(day_end)})"
        return f"{column} = {binds.add(start)}"
    return f"{column} = CAST({binds.add(raw)} AS text)"


def items_page(session: Session, layer: Layer, query: ItemsQuery) -> ItemsPage:
    """One page of the current version's features matching ``query``.

    ``number_matched`` is only given when it costs nothing: the version's stored feature
    count for an unfiltered request, or ``offset + returned`` on the last page. Counting a
    large filtered selection would cost more than serving the page itself.
    """
    schema = Schema.of(layer)
    binds = Binds()
    where = " AND ".join(_where(layer, query, schema, binds))
    limit = binds.add(query.limit)
    fetch = binds.add(query.limit + 1)
    offset = binds.add(query.offset)
    # Only constants and bind-parameter names are formatted into the SQL.
    sql = text(f"""
        SELECT count(*) AS fetched,
               coalesce(string_agg(CASE WHEN rn <= {limit} THEN {FEATURE_JSON} END, ','
                                   ORDER BY fid), '') AS features
        FROM (
            SELECT fid, geom, properties, row_number() OVER (ORDER BY fid) AS rn
            FROM (
                SELECT fid, geom, properties FROM layer_features
                WHERE {where}
                ORDER BY fid LIMIT {fetch} OFFSET {offset}
            ) page
        ) numbered
    """)  # noqa: S608
    session.execute(_PLAN_SETTINGS)
    fetched, features = session.execute(sql, binds.params).one()
    has_next = fetched > query.limit
    returned = min(fetched, query.limit)
    matched: int | None = None
    if not has_next and (returned or query.offset == 0):
        matched = query.offset + returned
    elif not query.is_filtered:
        matched = feature_count(session, layer)
    return ItemsPage(features, returned, has_next, matched)


def item_json(session: Session, layer: Layer, fid: int) -> str | None:
    """One feature of the current version as GeoJSON text, or None."""
    return session.execute(
        text(f"SELECT {FEATURE_JSON} FROM layer_features "  # noqa: S608
             "WHERE layer_id = :layer AND version = :version AND fid = :fid"),
        {"layer": layer.id, "version": layer.version, "fid": fid},
    ).scalar()


def feature_count(session: Session, layer: Layer) -> int:
    version = session.get(LayerVersion, (layer.id, layer.version))
    return version.feature_count if version is not None else 0


def spatial_extents(session: Session, layers: list[Layer]) -> dict[int, list[float] | None]:
    """The stored bbox of each layer's current version (one query for the whole list)."""
    wanted = {(layer.id, layer.version) for layer in layers if layer.version}
    if not wanted:
        return {}
    rows = session.execute(
        select(LayerVersion.layer_id, LayerVersion.version, LayerVersion.bbox)
        .where(LayerVersion.layer_id.in_({lid for lid, _ in wanted}))
    )
    return {lid: bbox for lid, version, bbox in rows if (lid, version) in wanted}


class _TemporalExtents:
    """min/max ``dt`` per (layer id, version, time field), cached: a stored version never
    changes, and ``dt`` is only rewritten when the time field changes.

    Computing it scans the version once (there is no index on ``dt``), so it is done once
    per process rather than on every ``/collections`` request.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.cache: OrderedDict[tuple[int, int, str | None], tuple[datetime | None, datetime | None]] = (
            OrderedDict())
        self.lock = Lock()

    def get(self, session: Session, layer: Layer) -> tuple[datetime | None, datetime | None]:
        key = (layer.id, layer.version, layer.time_field)
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        row = session.execute(
            text("SELECT min(dt), max(dt) FROM layer_features WHERE layer_id = :l AND version = :v"),
            {"l": layer.id, "v": layer.version},
        ).one()
        value = (row[0], row[1])
        with self.lock:
            self.cache[key] = value
            while len(self.cache) > self.size:
                self.cache.popitem(last=False)
        return value


temporal_extents = _TemporalExtents()


def temporal_extent(session: Session, layer: Layer) -> tuple[datetime | None, datetime | None] | None:
    """The time span of a layer with a time field, else None."""
    if not layer.time_field or not layer.version:
        return None
    return temporal_extents.get(session, layer)

