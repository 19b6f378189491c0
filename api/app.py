"""Application factory: ``create_app(settings)`` wires settings, database, routes, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api.errors import add_exception_handlers
from api.limits import BodySizeLimit
from api.routes import (
    agencies,
    analytics,
    auth,
    communes,
    docs,
    events,
    exports,
    feedback,
    health,
    incidents,
    layer_admin,
    layers,
    ogc,
    open311,
    stats,
    tiles,
    users,
    web,
)
from layers.db import make_engine, make_read_engine, make_sessionmaker
from layers.errors import ClusterError
from layers.settings import Settings

DESCRIPTION = """
**iocmap** — Trung tâm giám sát, điều hành đô thị thông minh trên bản đồ (huyện Đắk Mil).
Map-centred Intelligent Operations Center for a Vietnamese district.

Errors are JSON: `{"detail": ..., "code": ...}`, `code` being a stable machine string.
Sign in with `POST /api/v1/auth/token` (OAuth2 password flow) and send
`Authorization: Bearer <token>`, or with `POST /api/v1/auth/login` in a browser.
"""


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """Build the app; pass ``engine`` to share one (tests), otherwise one is made here."""
    if engine is None:
        if not settings.database_url:
            raise ClusterError("database_url is not set; start via `iocmap serve`")
        engine = make_engine(settings.database_url)
    owned_engine = engine
    read_engine = make_read_engine(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await events.close_hub(app)
        owned_engine.dispose()
        read_engine.dispose()

    app = FastAPI(
        title="iocmap API", version="1", description=DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url="/openapi.json",  # /docs: api.routes.docs (no CDN)
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # Autocommit reads for the tile route; used only while ``sessionmaker`` is this one
    # (tests replace it with sessions inside their own transaction): see api.routes.tiles.
    app.state.read_sessionmaker = make_sessionmaker(read_engine)
    app.state.default_sessionmaker = app.state.sessionmaker
    add_exception_handlers(app)
    for module in (health, auth, users, communes, layers, layer_admin, exports, ogc, tiles, feedback,
                   incidents, events, analytics, open311, stats, agencies, web, docs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=web.WEB_DIR / "static"), name="static")
    for name, path in web.vendor_packages().items():
        app.mount(f"/vendor/{name}", StaticFiles(directory=path), name=f"vendor-{name}")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       overrides={layer_admin.UPLOAD_PATHS: settings.upload_max_bytes,
                                  feedback.UPLOAD_PATHS: feedback.UPLOAD_MAX_BYTES})
    return app
