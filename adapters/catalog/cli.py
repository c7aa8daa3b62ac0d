"""``dagmaster db``: schema commands. Mount with ``app.add_typer(db_app, name="db")``."""

from __future__ import annotations

import typer

from adapters.catalog.connection import open_pool
from adapters.catalog.errors import CatalogError
from adapters.catalog.migrate import status, upgrade
from config.settings import CatalogSettings

db_app = typer.Typer(help="The job catalog's PostgreSQL schema.", no_args_is_help=True)


def _fail(exc: CatalogError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply pending migrations (safe to run from several processes at once)."""
    try:
        with open_pool(CatalogSettings.from_env()) as pool:
            applied = upgrade(pool)
    except CatalogError as exc:
        raise _fail(exc) from exc
    typer.echo(f"applied {', '.join(applied)}" if applied else "schema is up to date")


@db_app.command("status")
def status_command() -> None:
    """List migrations with when each was applied, or 'pending'."""
    try:
        with open_pool(CatalogSettings.from_env()) as pool:
            rows = status(pool)
    except CatalogError as exc:
        raise _fail(exc) from exc
    for row in rows:
        when = row.applied_at.isoformat() if row.applied_at else "pending"
        typer.echo(f"{row.version}  {row.name:<24} {when}")
