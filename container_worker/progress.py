"""Where a running task's progress goes.

The worker calls `ProgressSink.update` from its supervisor thread, at most every
`PROGRESS_MIN_INTERVAL` seconds per task (plus the final 100 %). To send progress to the
catalog, wrap it: ``CatalogProgressSink(catalog)``, where ``catalog`` has
``update_node_progress(job_id, node_id, attempt, percent, message)``; or name a factory in
``DAGMASTER_WORKER_PROGRESS_SINK=package.module:factory`` (called with no arguments).
"""

from __future__ import annotations

import importlib
import logging
from typing import Protocol

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

    def __init__(self, catalog: NodeProgressCatalog) -> None:
        self._catalog = catalog

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
