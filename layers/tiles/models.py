"""Tables of the point-thinning pyramid and the tile-store registry (imported by
``layers.models`` for Alembic)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKeyConstraint, Integer, SmallInteger, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from layers.models import Base


class LayerPointCluster(Base):
    """One tile of the thinning pyramid of a point layer version: its non-empty cells.

    A derived cache, rebuilt from ``layer_features`` on demand (``layers.tiles.clusters``):
    a low-zoom product tile reads one row here instead of every point of the tile. The
    cells are parallel arrays (at most 32 x 32 entries) rather than a row each, because a
    million rows cost ~10 s to insert and index; a few thousand array rows cost nothing.
    ``fid`` holds the feature of a cell with exactly one point (``n`` = 1), else NULL.
    """

    __tablename__ = "layer_point_clusters"
    __table_args__ = (
        ForeignKeyConstraint(["layer_id", "version"], ["layer_versions.layer_id", "layer_versions.version"],
                             ondelete="CASCADE"),
    )

    layer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    z: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    tx: Mapped[int] = mapped_column(Integer, primary_key=True)
    ty: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Per cell: number of points, the single point's fid, and the mean position of the
    # points in MVT units of this tile (0..4095, y down), ready for ST_AsMVT.
    n: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    fid: Mapped[list[int | None]] = mapped_column(ARRAY(BigInteger))
    px: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    py: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))


class LayerTileStore(Base):
    """A layer version whose typed, spatially ordered tile table exists (``layers.tiles.store``).

    The table itself (``tile_store.l{layer}_v{version}``) is created and dropped by that
    module; this row maps attribute names and types to its columns.
    """

    __tablename__ = "layer_tile_stores"
    __table_args__ = (
        ForeignKeyConstraint(["layer_id", "version"], ["layer_versions.layer_id", "layer_versions.version"],
                             ondelete="CASCADE"),
    )

    layer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # [{"name": attribute name, "type": schema type, "column": "a0"}, ...]
    columns: Mapped[list[dict[str, str]]] = mapped_column(JSONB, nullable=False)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
