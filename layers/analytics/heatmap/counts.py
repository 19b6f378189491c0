"""Counts per H3 cell of a window, aggregated in PostgreSQL (see the package docstring).

Reports come from up to three parts added together by cell (numpy):

* ``analytics_report_cells`` (``layers.analytics.rollup``): per (resolution, month, cell)
  the count and a per-category vector, for the finished months inside the window
  (ix_analytics_report_cells_month). Built months change only by a rebuild, so their sum
  is kept in memory per (database, resolution, months) while the months' bookkeeping rows
  are unchanged (``_rollup_part``); at resolution 9 that sum is about half the SQL time;
* ``feedback_reports`` for the partial months at the window's edges and the current month
  (ix_feedback_reports_received_at);
* the open reports of the rollup months for the overdue share (partial index
  ix_feedback_reports_unsettled_received).

Questions filtered by status, agency or commune read the base table only.
Incidents (tens of thousands) are grouped directly (ix_incidents_occurred_at).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.analytics import rollup
from layers.analytics.window import Window, full_months, month_instant, next_month
from layers.errors import InvalidInput

MAX_CELLS = 60_000
OPEN_SQL = "status IN ('received', 'assigned', 'in_progress')"
TOP = 3
#: Memory for the cached rollup sums of one process (a year at r9: ~0.8 MB; at r10: ~5 MB).
ROLLUP_CACHE_BYTES = 64 * 2**20


@dataclass
class CellCount:
    cell: int
    n: int
    overdue: int
    top: list[tuple[str, int]]


@dataclass
class _Part:
    """Counts per cell as columns: cells, n, overdue (int64) and cells × categories (or None)."""

    cells: np.ndarray
    n: np.ndarray
    od: np.ndarray
    cats: np.ndarray | None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.cells, self.n, self.od, self.cats) if a is not None)


@dataclass
class CellTable:
    """Counts per cell as columns. The top categories of row i are ``top_keys[i]``: up to
    ``TOP`` ints ``count * width + index`` (0 = none) naming ``names[index]``, so rendering
    thousands of cells looks up small ints instead of building tuples."""

    cells: np.ndarray
    n: np.ndarray
    od: np.ndarray
    top_keys: np.ndarray
    names: list[str]

    @property
    def width(self) -> int:
        return len(self.names)

    def select(self, mask: np.ndarray) -> CellTable:
        return CellTable(self.cells[mask], self.n[mask], self.od[mask], self.top_keys[mask], self.names)

    def top(self) -> list[list[tuple[str, int]]]:
        w, names = self.width, self.names
        return [[(names[k % w], k // w) for k in row if k] for row in self.top_keys.tolist()]


_rollup_cache: OrderedDict[tuple[Any, ...], _Part] = OrderedDict()
_rollup_lock = threading.Lock()


def clear_cache() -> None:
    """Forget the in-memory rollup sums (the benchmark measures the cold path with it)."""
    with _rollup_lock:
        _rollup_cache.clear()


def _categories(session: Session) -> tuple[int, dict[int, str]]:
    """(highest category id, id -> code): the rollup keeps a dense vector indexed by id."""
    codes: dict[int, str] = dict(session.execute(text("SELECT id, code FROM feedback_categories")).all())
    return (max(codes) if codes else 1), codes


def _fetch(session: Session, sql: str, params: dict[str, Any], k: int | None) -> _Part:
    """Run a query answering (cell, n, od[, c1 .. ck]) rows; returns them as columns."""
    rows = session.execute(text(sql), params).all()
    width = 3 + (k or 0)
    # fromiter over the flattened values: np.array(rows) would probe every Row for the array protocol.
    flat = itertools.chain.from_iterable(rows)
    a = np.fromiter(flat, dtype=np.int64, count=len(rows) * width).reshape(len(rows), width)
    return _Part(a[:, 0], a[:, 1], a[:, 2], a[:, 3:] if k else None)


def _raw_sql(w: Window, col: str, k: int, ranges: str, *, filters: bool) -> str:
    cats = ", ".join(f"count(*) FILTER (WHERE category_id = {i})" for i in range(1, k + 1))
    where = f"({ranges})"
    if w.category_ids:
        where += " AND category_id = ANY(:cats)"
    if filters and w.agency_id is not None:
        where += " AND agency_id = :agency"
    if filters and w.statuses:
        where += " AND status = ANY(:statuses)"
    if filters and w.commune is not None:
        where += " AND commune_code = :commune"
    return (
        f"SELECT {col}, count(*), count(*) FILTER (WHERE {OPEN_SQL} AND due_at < :now), {cats} "  # noqa: S608
        f"FROM feedback_reports WHERE {where} GROUP BY 1"
    )


def _rollup_part(session: Session, resolution: int, months: list[date], k: int) -> _Part:
    """The rollup's sum over ``months`` (all built), from memory while the months' bookkeeping
    rows are the ones it was summed under: a rebuild rewrites a month's row (new ctid, and a
    new built_at in another transaction), so any rebuild, here or elsewhere, changes the token."""
    m0, m1 = months[0], months[-1]
    token = session.scalar(
        text(
            "SELECT md5(string_agg(month::text || built_at::text || ctid::text, ',' ORDER BY month)) "
            "FROM analytics_report_months WHERE month >= :m0 AND month <= :m1"
        ),
        {"m0": m0, "m1": m1},
    )
    key = (str(session.get_bind().engine.url), resolution, m0, m1, k, token)
    with _rollup_lock:
        hit = _rollup_cache.get(key)
        if hit is not None:
            _rollup_cache.move_to_end(key)
            return hit
    sums = ", ".join(f"sum(coalesce(cats[{i}], 0))" for i in range(1, k + 1))
    part = _fetch(
        session,
        f"SELECT cell, sum(n), 0, {sums} FROM analytics_report_cells "  # noqa: S608 (constants)
        "WHERE resolution = :res AND month >= :m0 AND month <= :m1 GROUP BY cell",
        {"res": resolution, "m0": m0, "m1": m1},
        k,
    )
    with _rollup_lock:
        _rollup_cache[key] = part
        while len(_rollup_cache) > 1 and sum(p.nbytes for p in _rollup_cache.values()) > ROLLUP_CACHE_BYTES:
            _rollup_cache.popitem(last=False)
    return part


def _merge(parts: list[_Part], k: int) -> _Part:
    """Add the parts up by cell; cells left with no report are dropped."""
    cells = np.concatenate([p.cells for p in parts])
    uniq, inv = np.unique(cells, return_inverse=True)
    n = np.zeros(len(uniq), dtype=np.int64)
    od = np.zeros(len(uniq), dtype=np.int64)
    cats = np.zeros((len(uniq), k), dtype=np.int64)
    start = 0
    for p in parts:
        idx = inv[start : start + len(p.cells)]
        start += len(p.cells)
        np.add.at(n, idx, p.n)
        np.add.at(od, idx, p.od)
        if p.cats is not None:
            np.add.at(cats, idx, p.cats[:, :k])
    keep = n > 0
    return _Part(uniq[keep], n[keep], od[keep], cats[keep])


def _report_part(session: Session, w: Window, k: int) -> _Part:
    """Rollup months + base-table edges, or the base table alone for status/agency/commune
    questions (the rollup does not keep those). ``k`` = highest category id (an int)."""
    col = f"h3_r{w.resolution}"  # resolution checked to be 5..10: never user text
    now = datetime.now(UTC)
    params: dict[str, Any] = {
        "start": w.start,
        "end": w.end,
        "now": now,
        "cats": list(w.category_ids),
        "agency": w.agency_id,
        "statuses": list(w.statuses),
        "commune": w.commune,
    }
    months: list[date] = []
    if w.agency_id is None and not w.statuses and w.commune is None:
        whole = full_months(w.start, w.end)
        months = rollup.complete_months(whole[0], whole[1], now) if whole else []
    if not months:
        sql = _raw_sql(w, col, k, "received_at >= :start AND received_at < :end", filters=True)
        return _merge([_fetch(session, sql, params, k)], k)
    rollup.ensure_built(session, months)
    params.update(ta=month_instant(months[0]), tb=month_instant(next_month(months[-1])))
    whole_months = _rollup_part(session, w.resolution, months, k)
    if w.category_ids and whole_months.cats is not None:
        chosen = [i - 1 for i in w.category_ids if i - 1 < whole_months.cats.shape[1]]
        cats = np.zeros_like(whole_months.cats)
        cats[:, chosen] = whole_months.cats[:, chosen]
        whole_months = _Part(whole_months.cells, cats.sum(axis=1), whole_months.od, cats)
    edges = _raw_sql(
        w,
        col,
        k,
        "received_at >= :start AND received_at < :ta OR received_at >= :tb AND received_at < :end",
        filters=False,
    )
    overdue = (
        f"SELECT {col}, 0, count(*) FROM feedback_reports "  # noqa: S608 (constants)
        f"WHERE {OPEN_SQL} AND due_at < :now AND received_at >= :ta AND received_at < :tb"
        + (" AND category_id = ANY(:cats)" if w.category_ids else "")
        + " GROUP BY 1"
    )
    parts = [whole_months, _fetch(session, edges, params, k), _fetch(session, overdue, params, None)]
    return _merge(parts, k)


def _incidents_sql(w: Window) -> tuple[str, dict[str, Any]]:
    col = f"h3_r{w.resolution}"
    parts: list[str] = []
    params: dict[str, Any] = {"start": w.start, "end": w.end}
    if w.categories:
        parts.append("type = ANY(:types)")
        params["types"] = list(w.categories)
    if w.statuses:
        parts.append("status = ANY(:statuses)")
        params["statuses"] = list(w.statuses)
    if w.agency_id is not None:
        parts.append("agency_id = :agency")
        params["agency"] = w.agency_id
    if w.commune is not None:
        parts.append("commune_code = :commune")
        params["commune"] = w.commune
    where = "".join(f" AND {p}" for p in parts)
    sql = (
        f"WITH g AS (SELECT {col} AS cell, type AS k, count(*) AS n, "  # noqa: S608 (identifiers from constants; values bound)
        "count(*) FILTER (WHERE status <> 'closed') AS od FROM incidents "
        f"WHERE occurred_at >= :start AND occurred_at < :end{where} GROUP BY 1, 2) "
        "SELECT cell, sum(n)::bigint AS n, sum(od)::bigint AS od, "
        f"(array_agg(k ORDER BY n DESC, k))[1:{TOP}] AS top_k, "
        f"(array_agg(n::bigint ORDER BY n DESC, k))[1:{TOP}] AS top_n FROM g GROUP BY cell"
    )
    return sql, params


def _check_size(cells: int) -> None:
    if cells > MAX_CELLS:
        raise InvalidInput(
            f"Quá nhiều ô ({cells}); chọn độ phân giải thấp hơn hoặc vùng nhỏ hơn / "
            "too many cells; choose a lower resolution or a smaller area",
            code="too_many_cells",
            cells=cells,
            max=MAX_CELLS,
        )


def _incident_table(session: Session, w: Window) -> CellTable:
    sql, params = _incidents_sql(w)
    rows = session.execute(text(sql), params).all()
    _check_size(len(rows))
    names = ["", *sorted({k for r in rows for k in r.top_k})]
    index = {name: i for i, name in enumerate(names)}
    width = len(names)
    keys = np.zeros((len(rows), TOP), dtype=np.int64)
    for j, r in enumerate(rows):
        for m, (code, n) in enumerate(zip(r.top_k, r.top_n, strict=True)):
            keys[j, m] = n * width + index[code]
    column = [np.fromiter((r[i] for r in rows), dtype=np.int64, count=len(rows)) for i in range(3)]
    return CellTable(column[0], column[1], column[2], keys, names)


def cell_table(session: Session, w: Window) -> CellTable:
    """Counts per cell of a resolved window (see ``window.resolve``), as columns."""
    # Enough memory to hash-aggregate thousands of cells × categories instead of sorting on disk.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    if w.layer != "reports":
        return _incident_table(session, w)
    k, codes = _categories(session)
    part = _report_part(session, w, k)
    _check_size(len(part.cells))
    matrix = part.cats if part.cats is not None else np.zeros((len(part.cells), k), dtype=np.int64)
    best = np.argsort(-matrix, axis=1, kind="stable")[:, :TOP]
    best_n = np.take_along_axis(matrix, best, axis=1)
    names = ["", *(codes.get(i, str(i)) for i in range(1, k + 1))]
    keys = np.where(best_n > 0, best_n * len(names) + best + 1, 0)
    return CellTable(part.cells, part.n, part.od, keys, names)


def cell_counts(session: Session, w: Window) -> list[CellCount]:
    """Counts per cell for a resolved window (see ``window.resolve``)."""
    t = cell_table(session, w)
    return [
        CellCount(cell=c, n=x, overdue=o, top=top)
        for c, x, o, top in zip(t.cells.tolist(), t.n.tolist(), t.od.tolist(), t.top(), strict=True)
    ]
