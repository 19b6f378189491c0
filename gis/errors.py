"""Exceptions raised by the pure ``gis`` package.

``gis`` must not import the web or database layers, so it keeps its own small
hierarchy. Each class carries a stable machine ``code`` (the upper layers can map
it to an HTTP status or a UI message) and a human message, Vietnamese first and
English second.
"""

from __future__ import annotations


class GisError(Exception):
    """Base class for every error raised by ``gis``."""

    code = "gis_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownCRS(GisError):
    """A coordinate reference system could not be recognised."""

    code = "unknown_crs"


class EncodingError(GisError):
    """Text bytes could not be decoded with the requested or any known encoding."""

    code = "unknown_encoding"
