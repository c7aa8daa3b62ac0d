"""Where a running task's progress goes.

The worker calls `ProgressSink.update` from its supervisor thread, at most every
`PROGRESS_MIN_INTERVAL` seconds per task (plus the final 100 %; the latest update held back
by that interval is sent once it has passed). `configured_sink` picks the sink and logs
which: the factory named in ``DAGMASTER_WORKER_PROGRESS_SINK=package.module:factory``
(called with no arguments), else the job catalog when the worker's settings name one
(`CatalogProgressSink`, so ``GET /api/jobs/{id}/nodes`` shows it), else the log.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Protocol

from config.settings import CatalogSettings, CatalogSource
from domain.tasks import TaskId

log = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL = 0.5


class ProgressSink(Protocol):
    def update(self, task_id: TaskId, percent: float, message: str) -> None: ...


class NodeProgressCatalog(Protocol):
    def update_node_progress(
        self, job_id: str, node_id: str, attempt: int, percent: float, message: str
    ) -> None: ...


class LoggingProgressSink:
    def update(self, task_id: TaskId, percent: float, message: str) -> None:
        log.info("progress %s %.0f%% %s", task_id.key(), percent, message)


class CatalogProgressSink:
    """Adapts the catalog's per-node progress call; failures are logged, never fatal."""

    def __init__(
        self, catalog: NodeProgressCatalog, close: Callable[[], None] | None = None
    ) -> None:
        self._catalog = catalog
        self._close = close

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def update(self, task_id: TaskId, percent: float, message: str) -> None:
        try:
            self._catalog.update_node_progress(
                task_id.job_id, task_id.node_id, task_id.attempt, percent, message
            )
        except Exception:  # progress is advisory: a catalog outage must not fail the task
            log.exception("could not record progress of %s", task_id.key())


def load_sink(spec: str | None) -> ProgressSink:
    """`LoggingProgressSink`, or the sink built by the ``module:factory`` named in ``spec``."""
    if not spec:
        return LoggingProgressSink()
    module_name, _, factory_name = spec.partition(":")
    if not factory_name:
        raise ValueError(f"Invalid progress sink '{spec}': expected 'package.module:factory'.")
    factory = getattr(importlib.import_module(module_name), factory_name)
    sink: ProgressSink = factory()
    return sink


def catalog_sink(settings: CatalogSettings) -> CatalogProgressSink:
    """A sink on its own small pool to the job catalog; migrations are the app's business.

    Raises `CatalogUnavailable` (naming the setting) if the catalog cannot be reached.
    """
    from adapters.catalog import JobCatalog, open_pool

    pool = open_pool(settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 2}))
    return CatalogProgressSink(JobCatalog(pool), close=pool.close)


def configured_sink(spec: str | None, catalog: CatalogSettings | None) -> ProgressSink:
    """The sink the settings ask for (see the module docstring); logs which one it is."""
    if spec:
        log.info("progress sink: %s (DAGMASTER_WORKER_PROGRESS_SINK)", spec)
        return load_sink(spec)
    if catalog is not None:
        log.info("progress sink: the job catalog (%s)", _catalog_source(catalog))
        return catalog_sink(catalog)
    log.warning(
        "progress sink: the log only; no job catalog is configured (set DATABASE_URL, "
        "DAGMASTER_PG_ENTRA=true or DAGMASTER_DATA_DIR as for the app to record progress there)"
    )
    return LoggingProgressSink()


def _catalog_source(catalog: CatalogSettings) -> str:
    match catalog.source:
        case CatalogSource.DATABASE_URL:
            return "DATABASE_URL"
        case CatalogSource.ENTRA:
            return f"Entra ID, PGHOST={catalog.pg_host}"
        case _:
            return f"embedded PostgreSQL, DAGMASTER_DATA_DIR={catalog.data_dir}"
