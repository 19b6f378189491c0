"""ASGI entry point for uvicorn workers: ``uvicorn --factory iocmap.asgi:create``."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from layers.settings import get_settings


def create() -> FastAPI:
    return create_app(get_settings())
