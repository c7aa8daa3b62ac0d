"""The container worker's settings, read from environment variables.

Besides the task-queue settings (`adapters.taskqueue.settings`) and the containers its
handlers may use (``DAGMASTER_INPUT_CONTAINERS``, ``DAGMASTER_OUTPUT_CONTAINERS``, as for the
app: `adapters.access_settings`):

    DAGMASTER_DURABLE_BASE_URL                  Functions app origin (required), e.g.
                                                https://app.azurewebsites.net
    DAGMASTER_DURABLE_SYSTEM_KEY                the durabletask extension's system key (``code=``);
                                                required when the app requires keys (Azure,
                                                devhost --require-keys): checked at start-up
    DAGMASTER_DURABLE_TASK_HUB                  task hub when a message's reply_to has none
    DAGMASTER_WORKER_CONCURRENCY                tasks at a time, one process each (default 1)
    DAGMASTER_WORKER_HANDLERS_MODULES           comma list of modules registering handlers
                                                (default ``handlers``)
    DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS message invisibility / renewal period: renewed every
                                                third of it (default 60)
    DAGMASTER_WORKER_POLL_SECONDS               idle wait between receives (default 1)
    DAGMASTER_WORKER_TASK_MEMORY_MB             address-space limit per task process (none)
    DAGMASTER_WORKER_PROGRESS_SINK              ``module:factory`` of a progress sink (default:
                                                the job catalog if one is configured, else the log)
    DAGMASTER_WORKER_CALLBACK_ATTEMPTS          raise-event attempts before giving up (default 6)
    DAGMASTER_WORKER_CALLBACK_BACKOFF_SECONDS   first retry wait, doubled up to 30 s (default 1)

The job catalog is the function app's (`adapters.catalog.settings`), but here only when it
is named: ``DATABASE_URL``, ``DAGMASTER_PG_ENTRA=true`` or ``DAGMASTER_DATA_DIR`` (the
embedded server of a local app). Unlike the app, the worker starts no embedded PostgreSQL of
its own when none of them is set: its progress then goes to the log, and it says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from adapters.catalog.settings import CatalogSettings
from adapters.taskqueue.settings import (
    SettingsError,
    TaskQueueSettings,
    number,
    optional,
    read_env,
    required,
)
from container_worker.callback import CallbackSettings


class WorkerSettings(BaseModel):
    queue: TaskQueueSettings
    callback: CallbackSettings
    concurrency: int = 1
    handlers_modules: tuple[str, ...] = ("handlers",)
    visibility_timeout_seconds: float = 60.0
    poll_seconds: float = 1.0
    task_memory_mb: int | None = None
    progress_sink: str | None = None
    catalog: CatalogSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = read_env(env)
        modules = optional(env, "DAGMASTER_WORKER_HANDLERS_MODULES") or "handlers"
        return cls(
            queue=TaskQueueSettings.from_env(env),
            callback=CallbackSettings(
                base_url=required(
                    env,
                    "DAGMASTER_DURABLE_BASE_URL",
                    "set it to the Functions app origin, e.g. http://localhost:7071",
                ),
                system_key=optional(env, "DAGMASTER_DURABLE_SYSTEM_KEY"),
                task_hub=optional(env, "DAGMASTER_DURABLE_TASK_HUB"),
                max_attempts=int(number(env, "DAGMASTER_WORKER_CALLBACK_ATTEMPTS", 6, minimum=1)),
                backoff_initial_seconds=number(env, "DAGMASTER_WORKER_CALLBACK_BACKOFF_SECONDS", 1),
            ),
            concurrency=int(number(env, "DAGMASTER_WORKER_CONCURRENCY", 1, minimum=1)),
            handlers_modules=tuple(m.strip() for m in modules.split(",") if m.strip()),
            visibility_timeout_seconds=number(
                env, "DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS", 60, minimum=3
            ),
            poll_seconds=number(env, "DAGMASTER_WORKER_POLL_SECONDS", 1.0, minimum=0.01),
            task_memory_mb=_memory_mb(env),
            progress_sink=optional(env, "DAGMASTER_WORKER_PROGRESS_SINK"),
            catalog=_catalog(env),
        )


def _catalog(env: Mapping[str, str]) -> CatalogSettings | None:
    """The catalog settings if the environment names a catalog, else None."""
    try:
        settings = CatalogSettings.from_env(env)
    except ValueError as exc:
        raise SettingsError(f"job catalog settings: {exc}") from None
    named = optional(env, "DATABASE_URL") or optional(env, "DAGMASTER_DATA_DIR")
    return settings if named or settings.entra else None


def _memory_mb(env: Mapping[str, str]) -> int | None:
    if optional(env, "DAGMASTER_WORKER_TASK_MEMORY_MB") is None:
        return None
    return int(number(env, "DAGMASTER_WORKER_TASK_MEMORY_MB", 0, minimum=16))
