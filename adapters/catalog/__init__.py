"""The job catalog in PostgreSQL: job records, node attempts, event timelines, STAC items.

Typical use::

    catalog = get_catalog()          # pool from the environment, schema upgraded once
    catalog.create_job(JobRecord(...))
    catalog.record_events(events)
    get_stac_catalog().upsert_item(StacItemRecord(...))   # same pool
"""

from __future__ import annotations

import threading

from psycopg_pool import ConnectionPool

from adapters.catalog.assets import AssetCatalog
from adapters.catalog.callbacks import CallbackCatalog, DeliveryRecord
from adapters.catalog.connection import close_pool, get_pool, open_pool
from adapters.catalog.errors import (
    CatalogError,
    CatalogUnavailable,
    JobConflict,
    MigrationError,
    UnknownJob,
)
from adapters.catalog.migrate import status, upgrade
from adapters.catalog.models import JobPage, JobRecord, NodeRecord, StacItemPage, StacItemRecord
from adapters.catalog.repository import JobCatalog
from adapters.catalog.stac import StacCatalog
from config.settings import CatalogSettings  # re-exported: the adapter's settings type

_lock = threading.Lock()
_migrated: set[int] = set()  # id() of the pools already upgraded by this process


def _ready_pool(migrate: bool) -> ConnectionPool:
    pool = get_pool()
    with _lock:
        if migrate and id(pool) not in _migrated:
            upgrade(pool)
            _migrated.add(id(pool))
    return pool


def get_catalog(*, migrate: bool = True) -> JobCatalog:
    """The catalog on the process-wide pool; with ``migrate``, pending migrations are
    applied the first time it is asked for (on each new pool)."""
    return JobCatalog(_ready_pool(migrate))


def get_stac_catalog(*, migrate: bool = True) -> StacCatalog:
    """The STAC item index on the process-wide pool (migrated like `get_catalog`)."""
    return StacCatalog(_ready_pool(migrate))


def get_callback_catalog(*, migrate: bool = True) -> CallbackCatalog:
    """The callback deliveries on the process-wide pool (migrated like `get_catalog`)."""
    return CallbackCatalog(_ready_pool(migrate))


def get_asset_catalog(*, migrate: bool = True) -> AssetCatalog:
    """The asset read model on the process-wide pool (migrated like `get_catalog`)."""
    return AssetCatalog(_ready_pool(migrate))


__all__ = [
    "AssetCatalog",
    "CallbackCatalog",
    "CatalogError",
    "CatalogSettings",
    "CatalogUnavailable",
    "DeliveryRecord",
    "JobCatalog",
    "JobConflict",
    "JobPage",
    "JobRecord",
    "MigrationError",
    "NodeRecord",
    "StacCatalog",
    "StacItemPage",
    "StacItemRecord",
    "UnknownJob",
    "close_pool",
    "get_asset_catalog",
    "get_callback_catalog",
    "get_catalog",
    "get_pool",
    "get_stac_catalog",
    "open_pool",
    "status",
    "upgrade",
]
