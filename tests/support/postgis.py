"""A real PostGIS for the session (Debian's PostgreSQL 15 + PostGIS 3, started by the tests).

``postgis`` starts it lazily, the first time a test asks, and points the vector handlers at
it through ``DAGMASTER_POSTGIS_URL``. A test that needs a clean schema uses ``vector_schema``.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import wiring
from adapters.postgis.local import LocalPostgis, start_local_postgis
from adapters.postgis.settings import ENV_URL


@pytest.fixture(scope="session")
def postgis() -> Iterator[LocalPostgis]:
    with tempfile.TemporaryDirectory(prefix="dagmaster-postgis-") as tmp:
        os.chmod(tmp, 0o755)
        server = start_local_postgis(Path(tmp) / "data")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def vector_schema(postgis: LocalPostgis, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh schema for one test, set as the handlers' DAGMASTER_VECTOR_SCHEMA."""
    schema = f"geo_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv(ENV_URL, postgis.url)
    monkeypatch.setenv("DAGMASTER_VECTOR_SCHEMA", schema)
    wiring.postgis_settings.cache_clear()
    yield schema
    with psycopg.connect(postgis.url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    wiring.postgis_settings.cache_clear()
