"""The PostGIS connection of the vector handlers (settings: `config.settings.PostgisSettings`)."""

from __future__ import annotations

import re

import psycopg

from config.settings import PostgisSettings

ENV_URL = "DAGMASTER_POSTGIS_URL"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

__all__ = ["ENV_URL", "IDENTIFIER", "PostgisSettings", "PostgisUnconfigured", "connect"]


class PostgisUnconfigured(RuntimeError):
    """No PostGIS is configured (DAGMASTER_POSTGIS_URL is unset)."""


def connect(settings: PostgisSettings) -> psycopg.Connection:
    """A new connection (autocommit off); ``catalog`` reuses the catalog's connection set-up."""
    if not settings.url:
        raise PostgisUnconfigured(
            f"no PostGIS configured: set {ENV_URL} to a PostgreSQL with PostGIS "
            "(or 'catalog' to use the job catalog's database)"
        )
    if settings.url == "catalog":
        from adapters.catalog.connection import connection_config
        from config.settings import CatalogSettings

        config = connection_config(CatalogSettings.from_env())
        extra = config.kwargs() if callable(config.kwargs) else config.kwargs
        return psycopg.connect(config.conninfo, connect_timeout=10, **extra)
    return psycopg.connect(settings.url, connect_timeout=10)
