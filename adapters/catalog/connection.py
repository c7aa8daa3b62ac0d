"""The catalog's connection pool: one per process, built from ``CatalogSettings``.

With Entra ID the password is an access token for Azure Database for PostgreSQL. Tokens
expire (about an hour), so one is requested for every new physical connection; the pool
recycles connections well before that (``max_lifetime``), and azure-identity caches the
token until it is close to expiry, so this costs no extra round trip in the common case.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from adapters.catalog.embedded import embedded_url
from adapters.catalog.errors import CatalogUnavailable
from config.settings import CatalogSettings, CatalogSource

ENTRA_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
_MAX_LIFETIME_S = 30 * 60.0


class AccessTokenLike(Protocol):
    @property
    def token(self) -> str: ...  # read-only: azure-core's AccessToken is a NamedTuple


class TokenCredential(Protocol):
    """The part of azure-identity's ``TokenCredential`` that we use."""

    def get_token(self, *scopes: str) -> AccessTokenLike: ...


@dataclass(frozen=True)
class ConnectionConfig:
    """What the pool needs: a conninfo, per-connection kwargs, and a name for error messages."""

    conninfo: str
    kwargs: Callable[[], dict[str, Any]] | dict[str, Any]
    setting: str  # the setting to blame when the connection fails


def entra_password(credential: TokenCredential) -> Callable[[], dict[str, Any]]:
    """Connection kwargs that fetch a fresh Entra token as the password for each connection."""

    def kwargs() -> dict[str, Any]:
        return {"password": credential.get_token(ENTRA_SCOPE).token}

    return kwargs


def _default_credential() -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _entra_config(
    settings: CatalogSettings, credential: TokenCredential | None
) -> ConnectionConfig:
    conninfo = make_conninfo(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_user,
        dbname=settings.pg_database,
        sslmode="require",
    )
    cred = credential if credential is not None else _default_credential()
    return ConnectionConfig(conninfo, entra_password(cred), "PGHOST/PGUSER (Entra ID)")


def _embedded_config(settings: CatalogSettings) -> ConnectionConfig:
    try:
        url = embedded_url(settings.pgdata)
    except psycopg.Error as exc:
        raise CatalogUnavailable(
            f"Cannot use the embedded PostgreSQL in {settings.pgdata} (DAGMASTER_DATA_DIR): {exc}"
        ) from exc
    return ConnectionConfig(url, {}, "DAGMASTER_DATA_DIR")


def connection_config(
    settings: CatalogSettings, credential: TokenCredential | None = None
) -> ConnectionConfig:
    """Resolve the settings to a connection. Starts the embedded server when that is the source.

    ``credential`` replaces ``DefaultAzureCredential`` on the Entra path (tests, or a
    specific managed identity).
    """
    match settings.source:
        case CatalogSource.DATABASE_URL:
            return ConnectionConfig(str(settings.database_url), {}, "DATABASE_URL")
        case CatalogSource.ENTRA:
            return _entra_config(settings, credential)
        case _:
            return _embedded_config(settings)


def redact(conninfo: str) -> str:
    """The conninfo without its password, for messages."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "<unparsable connection string>"
    return make_conninfo("", **{k: ("***" if k == "password" else v) for k, v in params.items()})


def probe(config: ConnectionConfig, timeout: float) -> None:
    """Connect once; raise ``CatalogUnavailable`` naming the setting if that fails."""
    try:
        kwargs = config.kwargs() if callable(config.kwargs) else config.kwargs
    except Exception as exc:  # whatever the credential raises; kept as the cause
        raise CatalogUnavailable(
            f"Cannot get a password token for {config.setting}: {exc}. Check the identity "
            "the app runs as (DefaultAzureCredential) and its access to the server."
        ) from exc
    try:
        # Connecting is the whole check; the connection is closed at once.
        psycopg.connect(config.conninfo, connect_timeout=max(1, round(timeout)), **kwargs).close()
    except (psycopg.Error, OSError) as exc:
        raise CatalogUnavailable(
            f"Cannot connect to the job catalog's PostgreSQL from {config.setting} "
            f"({redact(config.conninfo)}): {str(exc).strip()}. Check {config.setting}."
        ) from exc


def _configure(conn: psycopg.Connection) -> None:
    conn.execute("SET TIME ZONE 'UTC'")
    conn.commit()


def open_pool(
    settings: CatalogSettings, credential: TokenCredential | None = None
) -> ConnectionPool:
    """Open a pool for ``settings`` after one probing connection (clear error if unreachable)."""
    config = connection_config(settings, credential)
    probe(config, settings.connect_timeout)
    return ConnectionPool(
        config.conninfo,
        kwargs=config.kwargs,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        max_lifetime=_MAX_LIFETIME_S,
        timeout=settings.connect_timeout,
        configure=_configure,
        # A server restart (the embedded one stops with its last process; Azure fails over)
        # leaves dead idle connections; check each one on checkout rather than fail a call.
        check=ConnectionPool.check_connection,
        name=f"dagmaster-catalog[{config.setting}]",
        open=True,
    )


_lock = threading.Lock()
_pool: ConnectionPool | None = None


def get_pool() -> ConnectionPool:
    """The process-wide pool, opened on first use from ``CatalogSettings.from_env()``."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = open_pool(CatalogSettings.from_env())
        return _pool


def close_pool() -> None:
    """Close the process-wide pool (tests, shutdown); the next ``get_pool`` opens a new one."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None
