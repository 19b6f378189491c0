"""Vector tiles (Mapbox Vector Tile) and TileJSON of every catalogue layer the caller may see.

* ``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` — 200 with the tile, **204 (no body) for an empty
  tile** (e.g. outside the layer's extent), 304 when ``If-None-Match`` matches the ETag,
  404 ``tile_out_of_range`` when z is not 0..22 or x/y not 0..2^z-1, 404
  ``layer_not_found`` for an unknown layer or one the caller may not see, 422 for
  non-integer z/x/y or an unknown ``detail``, 422 ``tile_too_dense`` for a full tile over
  the feature limit (never truncated).
* ``GET /tiles/{layer}.json`` — TileJSON 3.0.0.

``?detail=full`` asks for every feature with every attribute; the default product tiles
carry popup attributes and thin dense point layers at low zoom (see ``layers.tiles``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.deps import PUBLIC, Principal, PrincipalDep, SessionDep, get_principal
from layers import catalog
from layers.db import retry_on_disconnect, session_scope
from layers.tiles import service
from layers.tiles.plan import LayerLike, Mode
from layers.tiles.service import TileRuntime

router = APIRouter(prefix="/tiles", tags=["tiles"], dependencies=[Depends(PUBLIC)])

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
Slug = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")]
Detail = Annotated[
    Literal["product", "full"],
    Query(description="product: popup attributes, dense points thinned at low zoom (the map); "
                      "full: every feature with every attribute"),
]


async def tile_runtime(request: Request) -> TileRuntime:
    """The app's tile settings and cache, made on first use (tests may set their own).

    ``async`` so FastAPI calls it on the event loop instead of a worker thread."""
    state = request.app.state
    runtime: TileRuntime | None = getattr(state, "tiles", None)
    if runtime is None:  # no await in between: the event loop makes this atomic
        runtime = state.tiles = TileRuntime.from_settings()
    return runtime


RuntimeDep = Annotated[TileRuntime, Depends(tile_runtime)]


def _role(principal: Principal) -> str | None:
    return principal.user.role if principal.user else None


def _etag_matches(header: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of If-None-Match against our (strong) ETag."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def _cache_headers(layer: LayerLike, etag: str, runtime: TileRuntime) -> dict[str, str]:
    scope = "public" if layer.visibility == "public" else "private"
    headers = {"ETag": etag, "Cache-Control": f"{scope}, max-age={runtime.settings.max_age}"}
    if scope == "private":
        headers["Vary"] = "Authorization, Cookie"
    return headers


@router.get(
    "/{slug}/{z}/{x}/{y}.mvt", response_class=Response,
    summary="Ô bản đồ vector (MVT) / vector tile (MVT)",
    responses={
        200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "the tile"},
        204: {"description": "empty tile (no feature of the layer here)"},
        304: {"description": "not modified (If-None-Match)"},
        404: {"description": "unknown layer, not visible to you, or z/x/y outside the grid"},
        422: {"description": "non-integer z/x/y, bad `detail`, or a full tile over the feature limit"},
    },
)
async def get_tile(slug: Slug, z: int, x: int, y: int, request: Request, runtime: RuntimeDep,
                   detail: Detail = "product") -> Response:
    # The hottest route of the app (a map view asks for dozens of tiles per move): the session
    # and the principal are resolved here, in one worker-thread hop, instead of through
    # SessionDep/PrincipalDep (three more hops, ~0.3 ms of the ~1.5 ms of a cached tile).
    return await run_in_threadpool(_serve_tile, request, slug, z, x, y, detail, runtime)


def _sessions(state: Any) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """(reader, writer): the app's autocommit reads, unless the app's sessions were replaced
    (tests run everything inside their own transaction); then those for both."""
    writer = state.sessionmaker
    reader = state.read_sessionmaker if writer is getattr(state, "default_sessionmaker", None) else writer
    return reader, writer


def _serve_tile(request: Request, slug: str, z: int, x: int, y: int, detail: Mode,
                runtime: TileRuntime) -> Response:
    reader, writer = _sessions(request.app.state)
    return retry_on_disconnect(
        lambda: _serve_tile_once(request, reader, writer, slug, z, x, y, detail, runtime))


def _serve_tile_once(request: Request, reader: sessionmaker[Session], writer: sessionmaker[Session],
                     slug: str, z: int, x: int, y: int, detail: Mode, runtime: TileRuntime) -> Response:
    with session_scope(reader) as session:
        principal = get_principal(request, session)
        layer = service.tile_layer(session, slug, _role(principal))
        plan = service.plan_tile(layer, z, x, y, detail, runtime.settings)
        headers = _cache_headers(layer, plan.etag, runtime)
        if _etag_matches(request.headers.get("if-none-match"), plan.etag):
            return Response(status_code=304, headers=headers)
        tile, cached = service.get_tile(session, plan, runtime, writer)
    headers |= {"X-Tile-Features": str(tile.features), "X-Tile-Cache": "hit" if cached else "miss"}
    if plan.thinned:
        headers |= {"X-Tile-Thinned": "1", "X-Tile-Points": str(tile.points)}
    if tile.subpixel:
        headers["X-Tile-Subpixel"] = str(tile.subpixel)
    if not tile.data:
        return Response(status_code=204, headers=headers)
    return Response(content=tile.data, media_type=MVT_MEDIA_TYPE, headers=headers)


@router.get(
    "/{slug}.json", summary="TileJSON 3.0.0 của lớp / the layer's TileJSON 3.0.0",
    responses={404: {"description": "unknown layer or not visible to you"}},
)
def get_tilejson(slug: Slug, request: Request, session: SessionDep, principal: PrincipalDep,
                 runtime: RuntimeDep, detail: Detail = "product") -> Any:
    layer = catalog.get_layer(session, slug, _role(principal))
    base_url = str(request.base_url).rstrip("/")
    doc = service.tilejson(session, layer, base_url=base_url, mode=detail, settings=runtime.settings)
    scope = "public" if layer.visibility == "public" else "private"
    return JSONResponse(doc, headers={"Cache-Control": f"{scope}, max-age={runtime.settings.max_age}"})
