from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from adapters.blob import open_blob_store
from adapters.taskqueue import JsonBlobs, TaskQueue
from config.settings import StorageSettings
from container_worker.checkpoints import TaskStore
from tests.support.azurite import Azurite
from tests.worker.support import EventHost, task_queue


@pytest.fixture(scope="session")
def event_host() -> Iterator[EventHost]:
    """The stand-in for the Functions host's raise-event webhook, on loopback."""
    host = EventHost()
    yield host
    host.close()


@pytest.fixture
def worker_env(azurite: Azurite, event_host: EventHost) -> dict[str, str]:
    """Settings for a worker on a fresh storage queue of its own; fast timings for tests."""
    return {
        "DAGMASTER_TASK_QUEUE": "storage",
        "DAGMASTER_TASK_QUEUE_NAME": f"tasks-{uuid.uuid4().hex[:12]}",
        "DAGMASTER_TASK_QUEUE_MAX_DELIVERIES": "3",
        "DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "DAGMASTER_DURABLE_BASE_URL": event_host.url,
        "DAGMASTER_DURABLE_SYSTEM_KEY": "test-system-key",
        "DAGMASTER_WORKER_HANDLERS_MODULES": "tests.worker.task_handlers",
        "DAGMASTER_WORKER_CONCURRENCY": "2",
        "DAGMASTER_WORKER_POLL_SECONDS": "0.1",
        "DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS": "3",
        "DAGMASTER_WORKER_CALLBACK_BACKOFF_SECONDS": "0.05",
        "DAGMASTER_WORKER_CALLBACK_ATTEMPTS": "4",
    }


@pytest.fixture
def queue(worker_env: dict[str, str]) -> Iterator[TaskQueue]:
    """The worker's queue, for the test to send tasks on."""
    opened = task_queue(worker_env)
    yield opened
    opened.close()


@pytest.fixture
def store(worker_env: dict[str, str]) -> Iterator[TaskStore]:
    """The worker's checkpoints and result markers, on the same storage account."""
    blobs = JsonBlobs(open_blob_store(StorageSettings.from_env(worker_env)))
    yield TaskStore(blobs)
    blobs.close()
