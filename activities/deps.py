"""The adapters activities use, built once per worker process from the app settings.

A missing setting fails the activity with the message that names it (never a silent default).
"""

from __future__ import annotations

from functools import cache

from adapters.blob import BlobStore, open_blob_store
from adapters.catalog import JobCatalog, StacCatalog, get_catalog, get_stac_catalog
from adapters.taskqueue import JsonBlobs, TaskQueue
from adapters.taskqueue import open_task_queue as _open_task_queue
from config.settings import StorageSettings, TaskQueueSettings


@cache
def catalog() -> JobCatalog:
    return get_catalog()


@cache
def blob_store() -> BlobStore:
    return open_blob_store(StorageSettings.from_env())


@cache
def json_blobs() -> JsonBlobs:
    return JsonBlobs(blob_store())


@cache
def task_queue() -> TaskQueue:
    return _open_task_queue(TaskQueueSettings.from_env(), json_blobs())


@cache
def stac_catalog() -> StacCatalog:
    return get_stac_catalog()
