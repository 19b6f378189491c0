"""The ``iocmap`` command: serve the app, manage the private database, load data, accounts."""

from __future__ import annotations

import json
import logging
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from iocmap.cli_apikeys import apikey_app
from iocmap.cli_feedback import feedback_app
from iocmap.cli_layers import layers_app
from layers import accounts
from layers.cluster import Cluster
from layers.db import make_engine, make_sessionmaker, session_scope
from layers.defaults import defaults_loaded, load_defaults
from layers.errors import DomainError
from layers.migrate import upgrade
from layers.models import ROLES
from layers.settings import Settings, get_settings
from layers.tiles import store as tile_store

app = typer.Typer(help="iocmap — bản đồ điều hành huyện Đắk Mil / district IOC map", no_args_is_help=True)
db_app = typer.Typer(help="Cơ sở dữ liệu PostGIS riêng / the private PostGIS cluster", no_args_is_help=True)
users_app = typer.Typer(help="Tài khoản / accounts", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(layers_app, name="layers")
app.add_typer(feedback_app, name="feedback")
app.add_typer(apikey_app, name="apikey")
console = Console()
log = logging.getLogger("iocmap")


def _cluster(settings: Settings) -> Cluster:
    return Cluster(settings.data_dir, port=settings.pg_port, pg_bin=settings.pg_bin)


def database_url(settings: Settings, *, start: bool = True) -> str:
    """The external DATABASE_URL, or the private cluster's URL (starting it if asked)."""
    if settings.database_url:
        return settings.database_url
    cluster = _cluster(settings)
    if start:
        cluster.start()
    return cluster.url


def _sessionmaker(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url(settings), pool_size=2)
    return engine, make_sessionmaker(engine)


def _fail(exc: DomainError) -> None:
    console.print(f"[red]{exc.message}[/red]")
    raise typer.Exit(1) from exc


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default IOCMAP_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default IOCMAP_PORT or 8000")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes")] = None,
) -> None:
    """Start the database if needed, migrate, load the defaults once, and serve the app."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    try:
        url = database_url(settings)
        engine = make_engine(url, pool_size=2)
        upgrade(engine)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as session:
            if not defaults_loaded(session):
                console.print("Nạp dữ liệu mặc định Đắk Mil / loading the Đắk Mil dataset…")
                load_defaults(session)
        with session_scope(factory) as session:
            if built := tile_store.ensure_current(session):
                console.print(f"Dựng kho ô bản đồ / built the tile store of {built} layer(s)")
        with session_scope(factory) as session:
            pw = settings.admin_password.get_secret_value() if settings.admin_password else None
            generated = accounts.ensure_admin(session, pw)
        engine.dispose()
    except DomainError as exc:
        _fail(exc)
        return
    if generated:
        # Plain echo: rich would wrap long lines when stdout is not a terminal.
        typer.echo(f"Tài khoản quản trị / admin account: admin  mật khẩu / password: {generated}  "
                   "(shown once; change it)")
    host = host or settings.host
    port = port or settings.port
    os.environ["IOCMAP_DATABASE_URL"] = url
    typer.echo(f"iocmap đang chạy / running at http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(
        "iocmap.asgi:create", factory=True, host=host, port=port,
        workers=workers or settings.workers, log_level=settings.log_level, proxy_headers=True,
    )


@db_app.command("start")
def db_start() -> None:
    """Start (and on first use create) the private cluster under IOCMAP_DATA_DIR."""
    settings = get_settings()
    if settings.database_url:
        console.print("DATABASE_URL is set: using the external database, no cluster to start.")
        return
    try:
        cluster = _cluster(settings)
        cluster.start()
    except DomainError as exc:
        _fail(exc)
        return
    console.print(f"started: {cluster.url}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the private cluster."""
    try:
        _cluster(get_settings()).stop()
    except DomainError as exc:
        _fail(exc)
    console.print("stopped")


@db_app.command("status")
def db_status() -> None:
    """Where the cluster lives and whether it runs."""
    settings = get_settings()
    if settings.database_url:
        console.print("external database (DATABASE_URL)")
        return
    try:
        console.print_json(json.dumps(_cluster(settings).status()))
    except DomainError as exc:
        _fail(exc)


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply the Alembic migrations (starts the private cluster if needed)."""
    try:
        upgrade(make_engine(database_url(get_settings()), pool_size=1))
    except DomainError as exc:
        _fail(exc)
    console.print("migrated to head")


@app.command("load-defaults")
def load_defaults_cmd() -> None:
    """Load (or refresh) the default Đắk Mil dataset; safe to run again."""
    settings = get_settings()
    try:
        engine, factory = _sessionmaker(settings)
        upgrade(engine)
        with session_scope(factory) as session:
            counts = load_defaults(session)
    except DomainError as exc:
        _fail(exc)
        return
    console.print(counts)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    full_name: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    agency: Annotated[list[str] | None, typer.Option(help="agency code; repeat for several")] = None,
) -> None:
    """Create an account."""
    try:
        _, factory = _sessionmaker(get_settings())
        with session_scope(factory) as session:
            user = accounts.create_user(
                session, username=username, password=password, role=role, full_name=full_name,
                email=email, phone=phone, agency_codes=agency or [],
            )
            console.print(f"created {user.username} ({user.role})")
    except DomainError as exc:
        _fail(exc)


@users_app.command("list")
def users_list() -> None:
    """List accounts."""
    try:
        _, factory = _sessionmaker(get_settings())
        with session_scope(factory) as session:
            table = Table("username", "role", "active", "agencies", "full name")
            for u in accounts.list_users(session):
                table.add_row(u.username, u.role, "yes" if u.is_active else "no",
                              ", ".join(a.code for a in u.agencies), u.full_name or "")
            console.print(table)
    except DomainError as exc:
        _fail(exc)


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: str,
    agency: Annotated[list[str] | None, typer.Option(help="agency code; repeat for several")] = None,
) -> None:
    """Change an account's role (and, for officers, agencies)."""
    try:
        _, factory = _sessionmaker(get_settings())
        with session_scope(factory) as session:
            accounts.set_role(session, username, role, agency)
    except DomainError as exc:
        _fail(exc)
    console.print(f"{username}: {role}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account and revoke its sessions and tokens."""
    try:
        _, factory = _sessionmaker(get_settings())
        with session_scope(factory) as session:
            accounts.set_active(session, username, False)
    except DomainError as exc:
        _fail(exc)
    console.print(f"{username}: disabled")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Re-enable a disabled account."""
    try:
        _, factory = _sessionmaker(get_settings())
        with session_scope(factory) as session:
            accounts.set_active(session, username, True)
    except DomainError as exc:
        _fail(exc)
    console.print(f"{username}: enabled")
