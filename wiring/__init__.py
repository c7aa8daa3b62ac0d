"""The app's wiring: every long-lived object a process uses, built once from the settings.

One place builds the adapters, the workflow set and the platform registry that activities,
the HTTP API and the handlers share (a Functions worker process, or a container worker's
task process), each on first use, so a missing setting fails the first call that needs it
with the message naming it. Call them through the module, ``wiring.catalog()``, never
``from wiring import catalog``: that is what lets a test substitute one
(``monkeypatch.setattr(wiring, "catalog", ...)``).
``reset()`` forgets everything built (tests that change the environment).

The container worker's own queue, payload blobs and progress sink are built from its
settings by `container_worker.worker.Worker.from_settings`.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from adapters.blob import BlobStore, open_blob_store
from adapters.catalog import (
    AssetCatalog,
    CallbackCatalog,
    JobCatalog,
    StacCatalog,
    get_asset_catalog,
    get_callback_catalog,
    get_catalog,
    get_stac_catalog,
)
from adapters.taskqueue import JsonBlobs, TaskQueue, open_task_queue
from config.settings import (
    SHIPPED_PLATFORMS,
    AppSettings,
    ContainerSettings,
    PostgisSettings,
    StorageSettings,
    TaskQueueSettings,
)
from domain.loader import WorkflowSet, load_workflows
from domain.platforms import PlatformRegistry, load_platform_dir
from domain.storage import ContainerPolicy

WORKFLOWS_DIR = Path(__file__).resolve().parents[1] / "workflows"
PLATFORMS_DIR = SHIPPED_PLATFORMS
log = logging.getLogger("dagmaster.workflows")


@cache
def catalog() -> JobCatalog:
    """The job catalog (PostgreSQL from `config.settings.CatalogSettings`), migrated once."""
    return get_catalog()


@cache
def stac_catalog() -> StacCatalog:
    """The STAC item index, on the job catalog's pool."""
    return get_stac_catalog()


@cache
def asset_catalog() -> AssetCatalog:
    """The asset read model, on the job catalog's pool."""
    return get_asset_catalog()


@cache
def callback_catalog() -> CallbackCatalog:
    """The callback deliveries and their attempts, on the job catalog's pool."""
    return get_callback_catalog()


@cache
def blob_store() -> BlobStore:
    """The storage account of `config.settings.StorageSettings`: handlers' rasters, payloads,
    large outputs and the readiness probe all go through it."""
    return open_blob_store(StorageSettings.from_env())


@cache
def json_blobs() -> JsonBlobs:
    """JSON documents (large outputs, task payloads) on `blob_store`."""
    return JsonBlobs(blob_store())


@cache
def task_queue() -> TaskQueue:
    """The heavy-task queue of `config.settings.TaskQueueSettings`, its payloads on
    `json_blobs`."""
    return open_task_queue(TaskQueueSettings.from_env(), json_blobs())


@cache
def container_policy() -> ContainerPolicy:
    """The containers jobs may name, per purpose (`config.settings.ContainerSettings`)."""
    return ContainerSettings.from_env().policy


@cache
def workflows() -> WorkflowSet:
    """Every valid workflow under ``DAGMASTER_WORKFLOWS_DIR`` (default: the app's
    `workflows/`), loaded and validated against the handler registry. A file that fails to
    load is left out, its problems logged here once (at start-up: `function_app` loads the
    set) and kept in ``problems`` for `readyz`; the other workflows keep working."""
    import handlers  # the registry; imported here because the raster handlers use wiring

    folders = AppSettings.from_env().workflows_dirs or str(WORKFLOWS_DIR)
    found = load_workflows(
        [Path(f) for f in folders.split(os.pathsep) if f], handlers=handlers.registry.names()
    )
    for problem in found.problems:
        log.error("workflow not loaded: %s", problem)
    return found


@cache
def platforms() -> PlatformRegistry:
    """The platform registry under ``DAGMASTER_PLATFORMS_DIR`` (default: the app's
    `platforms/`), validated against `workflows`: every problem at once."""
    folders = AppSettings.from_env().platforms_dirs or str(PLATFORMS_DIR)
    found = [Path(f) for f in folders.split(os.pathsep) if f]
    return load_platform_dir(found, workflows={wid for wid, _ in workflows().workflows})


@cache
def postgis_settings() -> PostgisSettings:
    """Where the vector handlers' PostGIS is (`config.settings.PostgisSettings`); each use
    opens its own connection, since a load holds one for a whole transaction."""
    return PostgisSettings.from_env()


def reset() -> None:
    """Forget everything built, so the next call reads the settings again (tests)."""
    for built in (
        catalog,
        stac_catalog,
        asset_catalog,
        callback_catalog,
        blob_store,
        json_blobs,
        task_queue,
        workflows,
        platforms,
        postgis_settings,
        container_policy,
    ):
        built.cache_clear()
