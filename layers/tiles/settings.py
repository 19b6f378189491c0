"""Vector-tile settings, read from the environment (prefix ``IOCMAP_TILE_``) by a function."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TileSettings(BaseSettings):
    """How tiles are built, cached and thinned."""

    model_config = SettingsConfigDict(env_prefix="IOCMAP_TILE_", env_file=".env", extra="ignore")

    # In-process cache of encoded tiles, per worker process; 0 disables it.
    cache_mb: float = Field(default=64, ge=0)
    # Tiles larger than this are served but not cached (they would evict hundreds of others).
    cache_max_tile_kb: int = Field(default=4096, ge=1)
    # A tile with more features than this is refused (422 tile_too_dense), never truncated.
    max_features: int = Field(default=500_000, ge=1)
    # Point layers are thinned in product tiles below min(layer.max_zoom, full_detail_zoom).
    full_detail_zoom: int = Field(default=16, ge=0, le=16)
    # Browser cache lifetime; short because tile URLs do not carry the layer version.
    max_age: int = Field(default=60, ge=0)


def get_tile_settings(**overrides: object) -> TileSettings:
    """Build settings from the environment; keyword overrides win (tests)."""
    return TileSettings(**overrides)  # type: ignore[arg-type]
