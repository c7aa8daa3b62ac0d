"""The job catalog in PostgreSQL: job records, node attempts and event timelines.

Typical use::

    catalog = get_catalog()          # pool from the environment, schema upgraded once
    catalog.create_job(JobRecord(...))
    catalog.record_events(events)
"""

from __future__ import annotations

import threading

from adapters.catalog.connection import close_pool, get_pool, open_pool
from adapters.catalog.errors import (
    CatalogError,
    CatalogUnavailable,
    JobConflict,
    MigrationError,
    UnknownJob,
)
from adapters.catalog.migrate import status, upgrade
from adapters.catalog.models import JobPage, JobRecord, NodeRecord
from adapters.catalog.repository import JobCatalog
from adapters.catalog.settings import CatalogSettings

_lock = threading.Lock()
_migrated: set[int] = set()  # id() of the pools already upgraded by this process


def get_catalog(*, migrate: bool = True) -> JobCatalog:
    """The catalog on the process-wide pool; with ``migrate``, pending migrations are
    applied the first time it is asked for (on each new pool)."""
    pool = get_pool()
    with _lock:
        if migrate and id(pool) not in _migrated:
            upgrade(pool)
            _migrated.add(id(pool))
    return JobCatalog(pool)


__all__ = [
    "CatalogError",
    "CatalogSettings",
    "CatalogUnavailable",
    "JobCatalog",
    "JobConflict",
    "JobPage",
    "JobRecord",
    "MigrationError",
    "NodeRecord",
    "UnknownJob",
    "close_pool",
    "get_catalog",
    "get_pool",
    "open_pool",
    "status",
    "upgrade",
]
