"""The PostGIS connection of the vector handlers (see the package doc for the settings)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import psycopg
from pydantic import BaseModel, ConfigDict, Field

ENV_URL = "DAGMASTER_POSTGIS_URL"
ENV_SCHEMA = "DAGMASTER_VECTOR_SCHEMA"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgisUnconfigured(RuntimeError):
    """No PostGIS is configured (DAGMASTER_POSTGIS_URL is unset)."""


class PostgisSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str | None = None
    schema_name: str = Field(default="geo", pattern=IDENTIFIER.pattern)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PostgisSettings:
        env = os.environ if environ is None else environ
        return cls(url=env.get(ENV_URL) or None, schema_name=env.get(ENV_SCHEMA) or "geo")


def connect(settings: PostgisSettings) -> psycopg.Connection:
    """A new connection (autocommit off); ``catalog`` reuses the catalog's connection set-up."""
    if not settings.url:
        raise PostgisUnconfigured(
            f"no PostGIS configured: set {ENV_URL} to a PostgreSQL with PostGIS "
            "(or 'catalog' to use the job catalog's database)"
        )
    if settings.url == "catalog":
        from adapters.catalog.connection import connection_config
        from adapters.catalog.settings import CatalogSettings

        config = connection_config(CatalogSettings.from_env())
        extra = config.kwargs() if callable(config.kwargs) else config.kwargs
        return psycopg.connect(config.conninfo, connect_timeout=10, **extra)
    return psycopg.connect(settings.url, connect_timeout=10)
