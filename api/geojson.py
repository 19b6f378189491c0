"""The RFC 7946 media type for GeoJSON responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from gis.geojson import MEDIA_TYPE


class GeoJSONResponse(Response):
    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
