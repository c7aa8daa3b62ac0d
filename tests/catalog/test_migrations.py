import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from adapters.catalog import migrate
from adapters.catalog.errors import MigrationError
from adapters.catalog.migrate import load_migrations, status, upgrade
from tests.support.postgres import CatalogHandle, fresh_catalog

ALL_VERSIONS = [m.version for m in load_migrations()]


@pytest.fixture
def empty_db(embedded_pg) -> Iterator[CatalogHandle]:
    with fresh_catalog(embedded_pg, migrated=False) as handle:
        yield handle


def recorded_versions(handle: CatalogHandle) -> list[str]:
    with handle.pool.connection() as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    return [version for (version,) in rows]


def test_migration_files_are_numbered_in_order():
    assert sorted(ALL_VERSIONS) == ALL_VERSIONS
    assert ALL_VERSIONS[:3] == ["0001", "0002", "0003"]


def test_upgrade_applies_every_migration_once_and_records_it(empty_db):
    assert upgrade(empty_db.pool) == ALL_VERSIONS
    assert recorded_versions(empty_db) == ALL_VERSIONS


def test_upgrade_twice_is_a_no_op(empty_db):
    upgrade(empty_db.pool)
    assert upgrade(empty_db.pool) == []
    assert recorded_versions(empty_db) == ALL_VERSIONS


def test_concurrent_upgrades_apply_each_migration_once(empty_db):
    results: list[list[str]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(upgrade(empty_db.pool))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v for applied in results for v in applied) == ALL_VERSIONS
    assert recorded_versions(empty_db) == ALL_VERSIONS


def test_status_lists_pending_then_applied(empty_db):
    assert all(row.applied_at is None for row in status(empty_db.pool))
    upgrade(empty_db.pool)
    assert all(row.applied_at is not None for row in status(empty_db.pool))


def test_edited_applied_migration_is_refused(empty_db, monkeypatch):
    upgrade(empty_db.pool)
    edited = [replace(m, sql=m.sql + "\n-- edited") for m in load_migrations()]
    monkeypatch.setattr(migrate, "load_migrations", lambda: edited)
    with pytest.raises(MigrationError, match="edited after it was applied"):
        upgrade(empty_db.pool)


def test_failing_migration_is_rolled_back_and_not_recorded(empty_db, monkeypatch):
    broken = [*load_migrations(), migrate.Migration("9999", "broken", "CREATE TABLE x (;")]
    monkeypatch.setattr(migrate, "load_migrations", lambda: broken)
    with pytest.raises(MigrationError, match=r"9999_broken\.sql failed"):
        upgrade(empty_db.pool)
    assert recorded_versions(empty_db) == ALL_VERSIONS
