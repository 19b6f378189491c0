"""``iocmap feedback``: periodic jobs of citizen feedback (run them from cron or a timer)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from layers.db import session_scope
from layers.errors import DomainError
from layers.feedback import stats_rollup, workflow
from layers.feedback.media import MediaStore
from layers.settings import get_settings

feedback_app = typer.Typer(help="Phản ánh của người dân / citizen feedback", no_args_is_help=True)
console = Console()


def _factory():  # type: ignore[no-untyped-def]
    from iocmap.cli import _sessionmaker  # the composition root owns engine/cluster start-up

    return _sessionmaker(get_settings())[1]


@feedback_app.command("close-stale")
def close_stale() -> None:
    """Close resolved reports the citizen left unanswered for 7 days (resolved_unconfirmed),
    then fold the statistics journal into the monthly rollup.

    Run it hourly, e.g. cron: ``0 * * * * cd /srv/iocmap && .venv/bin/iocmap feedback close-stale``.
    The officers' inbox also closes before listing and the statistics fold a long journal on
    read, so a missed run only delays the closing; the hourly fold keeps that off requests.
    """
    try:
        with session_scope(_factory()) as session:
            closed = workflow.close_unconfirmed(session)
        with session_scope(_factory()) as session:
            folded = stats_rollup.compact(session)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    typer.echo(f"closed {closed}")
    typer.echo(f"statistics journal rows folded {max(folded, 0)}")


@feedback_app.command("prune-media")
def prune_media(
    delete: Annotated[bool, typer.Option(help="delete them (default: only list)")] = False,
) -> None:
    """List (or delete) photo files that have no database row: left by a crash mid-submission."""
    store = MediaStore(get_settings().media_path)
    with session_scope(_factory()) as session:
        orphans = list(store.orphans(session))
    for path in orphans:
        typer.echo(str(path))
        if delete:
            path.unlink(missing_ok=True)
    typer.echo(f"{'deleted' if delete else 'found'} {len(orphans)} orphan file(s)")
