"""Where the job catalog's PostgreSQL comes from, read once from environment variables.

Three sources, tried in this order:

1. ``DATABASE_URL``: any libpq URL or key/value string, used as is.
2. Azure Database for PostgreSQL with Microsoft Entra ID: ``DAGMASTER_PG_ENTRA=true`` with
   ``PGHOST`` and ``PGUSER`` (``PGDATABASE``, ``PGPORT`` optional); the password is an access
   token fetched for every new connection.
3. Otherwise an embedded PostgreSQL (PyPI ``pgserver``) under
   ``$DAGMASTER_DATA_DIR/pgdata`` (default ``.dagmaster/pgdata`` in the working directory).

``PGHOST`` alone never switches to Azure: the Entra switch must be explicit, so a stray
libpq variable cannot send the catalog somewhere unexpected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CatalogSource(StrEnum):
    DATABASE_URL = "DATABASE_URL"
    ENTRA = "entra"
    EMBEDDED = "embedded"


class CatalogSettings(BaseModel):
    """The catalog's connection settings. Field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    entra: bool = Field(default=False, alias="DAGMASTER_PG_ENTRA")
    pg_host: str | None = Field(default=None, alias="PGHOST")
    pg_user: str | None = Field(default=None, alias="PGUSER")
    pg_database: str = Field(default="postgres", alias="PGDATABASE")
    pg_port: int = Field(default=5432, alias="PGPORT")
    data_dir: Path = Field(default=Path(".dagmaster"), alias="DAGMASTER_DATA_DIR")
    pool_min_size: int = Field(default=1, ge=0, alias="DAGMASTER_PG_POOL_MIN")
    pool_max_size: int = Field(default=8, ge=1, alias="DAGMASTER_PG_POOL_MAX")
    connect_timeout: float = Field(default=10.0, gt=0, alias="DAGMASTER_PG_CONNECT_TIMEOUT")

    @model_validator(mode="after")
    def _entra_needs_host_and_user(self) -> CatalogSettings:
        if self.database_url is None and self.entra:
            missing = [n for n, v in (("PGHOST", self.pg_host), ("PGUSER", self.pg_user)) if not v]
            if missing:
                raise ValueError(
                    f"DAGMASTER_PG_ENTRA=true needs {' and '.join(missing)} "
                    "(the Azure Database for PostgreSQL server and the Entra principal name)"
                )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CatalogSettings:
        """Read settings from ``environ`` (default ``os.environ``); empty values count as unset."""
        env = os.environ if environ is None else environ
        names = {f.alias for f in cls.model_fields.values() if f.alias}
        return cls.model_validate({k: v for k, v in env.items() if k in names and v != ""})

    @property
    def source(self) -> CatalogSource:
        if self.database_url is not None:
            return CatalogSource.DATABASE_URL
        if self.entra:
            return CatalogSource.ENTRA
        return CatalogSource.EMBEDDED

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"
