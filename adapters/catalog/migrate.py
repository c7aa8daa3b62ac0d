"""Versioned schema migrations: ``migrations/NNNN_name.sql``, applied in order, once each.

Each file runs in its own transaction together with its row in ``schema_migrations``, under
a transaction-scoped advisory lock, so processes that start at the same time apply every
migration exactly once (the others wait, then see it recorded). A file that was edited after
it was applied is refused (its checksum no longer matches): add a new migration instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import psycopg
from psycopg_pool import ConnectionPool

from adapters.catalog.errors import MigrationError

# Any constant works; this one is "dagmaster" in ASCII, to recognise it in pg_locks.
_LOCK_KEY = 0x6461676D6173
_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str
    applied_at: datetime | None  # None: pending


def load_migrations() -> list[Migration]:
    """The migration files shipped in this package, in version order."""
    found = []
    for entry in resources.files("adapters.catalog.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append(Migration(version, name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def _applied(conn: psycopg.Connection) -> dict[str, tuple[str, datetime]]:
    rows = conn.execute("SELECT version, checksum, applied_at FROM schema_migrations").fetchall()
    return {version: (checksum, at) for version, checksum, at in rows}


def _apply_one(conn: psycopg.Connection, migration: Migration) -> bool:
    """Apply ``migration`` unless it is recorded; True if this call applied it."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(_CREATE_TABLE)
        recorded = _applied(conn).get(migration.version)
        if recorded is not None:
            if recorded[0] != migration.checksum:
                raise MigrationError(
                    f"Migration {migration.version}_{migration.name}.sql was edited after it "
                    "was applied; restore it and add a new migration instead."
                )
            return False
        try:
            conn.execute(migration.sql.encode())
        except psycopg.Error as exc:
            raise MigrationError(
                f"Migration {migration.version}_{migration.name}.sql failed: {exc}"
            ) from exc
        conn.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (migration.version, migration.name, migration.checksum),
        )
        return True


def upgrade(pool: ConnectionPool) -> list[str]:
    """Apply every pending migration in order; return the versions this call applied."""
    with pool.connection() as conn:
        return [m.version for m in load_migrations() if _apply_one(conn, m)]


def status(pool: ConnectionPool) -> list[MigrationStatus]:
    """Every known migration with when it was applied (``None`` if pending)."""
    with pool.connection() as conn:
        exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
        applied = _applied(conn) if exists and exists[0] else {}
    return [
        MigrationStatus(m.version, m.name, applied[m.version][1] if m.version in applied else None)
        for m in load_migrations()
    ]
