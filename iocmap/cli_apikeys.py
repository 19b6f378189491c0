"""``iocmap apikey``: API keys for Open311 clients (create, list, revoke)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from layers import apikeys
from layers.db import session_scope
from layers.errors import DomainError
from layers.settings import get_settings

apikey_app = typer.Typer(help="Khóa API cho ứng dụng Open311 / API keys for Open311 clients",
                         no_args_is_help=True)
console = Console()


def _factory():  # type: ignore[no-untyped-def]
    from iocmap.cli import _sessionmaker  # the composition root owns engine/cluster start-up

    return _sessionmaker(get_settings())[1]


def _fail(exc: DomainError) -> None:
    console.print(f"[red]{exc.message}[/red]")
    raise typer.Exit(1) from exc


@apikey_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="tên ứng dụng / the client's name (unique)")],
    note: Annotated[str | None, typer.Option(help="ghi chú / a note for admins")] = None,
) -> None:
    """Issue a key. The key is printed once, alone on the last line; only its hash is kept."""
    try:
        with session_scope(_factory()) as session:
            issued = apikeys.create_key(session, name, note=note)
            key_id, prefix, secret = issued.key.id, issued.key.prefix, issued.secret
    except DomainError as exc:
        _fail(exc)
        return
    # Plain echo (not rich): scripts read the last line, and rich may wrap long lines.
    typer.echo(f"created API key #{key_id} '{name}' ({prefix}…); store it now, it is not shown again:")
    typer.echo(secret)


@apikey_app.command("list")
def list_() -> None:
    """All keys, revoked ones included (never the secrets)."""
    try:
        with session_scope(_factory()) as session:
            table = Table("id", "name", "prefix", "created", "last used", "revoked")
            for k in apikeys.list_keys(session):
                table.add_row(str(k.id), k.name, k.prefix, f"{k.created_at:%Y-%m-%d %H:%M}",
                              f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
                              f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-")
    except DomainError as exc:
        _fail(exc)
        return
    console.print(table)


@apikey_app.command("revoke")
def revoke(key: Annotated[str, typer.Argument(help="id or name of the key")]) -> None:
    """Revoke a key at once; its clients get 403 from then on."""
    try:
        with session_scope(_factory()) as session:
            revoked = apikeys.revoke_key(session, key)
            label = f"#{revoked.id} '{revoked.name}'"
    except DomainError as exc:
        _fail(exc)
        return
    typer.echo(f"revoked API key {label}")
