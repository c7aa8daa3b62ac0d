"""Task-queue configuration, read from environment variables (the app settings).

Which queue is used is always explicit: ``DAGMASTER_TASK_QUEUE=storage|servicebus``. A missing
or invalid required setting raises `SettingsError` naming the variable and the fix.

    DAGMASTER_TASK_QUEUE                     storage | servicebus (required)
    DAGMASTER_TASK_QUEUE_NAME                queue name (default `DEFAULT_QUEUE_NAME`)
    DAGMASTER_TASK_QUEUE_MAX_DELIVERIES      deliveries before dead-lettering (default 5)
    DAGMASTER_STORAGE_CONNECTION_STRING      storage account (Azurite locally), or, with a
    DAGMASTER_STORAGE_BLOB_URL               managed identity, the blob endpoint ...
    DAGMASTER_STORAGE_QUEUE_URL              ... and the queue endpoint (storage queues only)
    DAGMASTER_SERVICEBUS_NAMESPACE           e.g. ``ns.servicebus.windows.net`` (identity), or
    DAGMASTER_SERVICEBUS_CONNECTION_STRING   a connection string
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel

DEFAULT_QUEUE_NAME = "dagmaster-heavy-tasks"
BACKENDS = ("storage", "servicebus")


class SettingsError(RuntimeError):
    """A required setting is missing or invalid; the message names the variable."""


def read_env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def required(env: Mapping[str, str], name: str, hint: str) -> str:
    value = optional(env, name)
    if value is None:
        raise SettingsError(f"{name} is not set: {hint}")
    return value


def number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0) -> float:
    raw = optional(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}='{raw}' is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}='{raw}' must be at least {minimum:g}")
    return value


class StorageSettings(BaseModel):
    """Where blobs (payloads, checkpoints, result markers) and storage queues live."""

    connection_string: str | None = None
    blob_url: str | None = None
    queue_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StorageSettings:
        env = read_env(env)
        settings = cls(
            connection_string=optional(env, "DAGMASTER_STORAGE_CONNECTION_STRING"),
            blob_url=optional(env, "DAGMASTER_STORAGE_BLOB_URL"),
            queue_url=optional(env, "DAGMASTER_STORAGE_QUEUE_URL"),
        )
        if settings.connection_string is None and settings.blob_url is None:
            raise SettingsError(
                "DAGMASTER_STORAGE_CONNECTION_STRING is not set: set it (Azurite locally), or set "
                "DAGMASTER_STORAGE_BLOB_URL to use a managed identity"
            )
        return settings


class TaskQueueSettings(BaseModel):
    backend: Literal["storage", "servicebus"]
    queue_name: str = DEFAULT_QUEUE_NAME
    max_deliveries: int = 5
    storage: StorageSettings
    servicebus_namespace: str | None = None
    servicebus_connection_string: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TaskQueueSettings:
        env = read_env(env)
        backend = required(env, "DAGMASTER_TASK_QUEUE", "set it to 'storage' or 'servicebus'")
        if backend not in BACKENDS:
            raise SettingsError(
                f"DAGMASTER_TASK_QUEUE='{backend}' is not a task queue: use 'storage' or "
                "'servicebus'"
            )
        settings = cls(
            backend=backend,  # type: ignore[arg-type]  # checked against BACKENDS above
            queue_name=optional(env, "DAGMASTER_TASK_QUEUE_NAME") or DEFAULT_QUEUE_NAME,
            max_deliveries=int(number(env, "DAGMASTER_TASK_QUEUE_MAX_DELIVERIES", 5, minimum=1)),
            storage=StorageSettings.from_env(env),
            servicebus_namespace=optional(env, "DAGMASTER_SERVICEBUS_NAMESPACE"),
            servicebus_connection_string=optional(env, "DAGMASTER_SERVICEBUS_CONNECTION_STRING"),
        )
        settings._check_backend()
        return settings

    def _check_backend(self) -> None:
        if self.backend == "servicebus" and not (
            self.servicebus_namespace or self.servicebus_connection_string
        ):
            raise SettingsError(
                "DAGMASTER_SERVICEBUS_NAMESPACE is not set: DAGMASTER_TASK_QUEUE=servicebus needs "
                "the fully-qualified namespace (managed identity) or "
                "DAGMASTER_SERVICEBUS_CONNECTION_STRING"
            )
        storage = self.storage
        if self.backend == "storage" and not (storage.connection_string or storage.queue_url):
            raise SettingsError(
                "DAGMASTER_STORAGE_QUEUE_URL is not set: DAGMASTER_TASK_QUEUE=storage with a "
                "managed identity needs the queue endpoint (or set "
                "DAGMASTER_STORAGE_CONNECTION_STRING)"
            )
