"""Progress sinks: the catalog adapter and the configured factory."""

from __future__ import annotations

import pytest

from container_worker.progress import CatalogProgressSink, LoggingProgressSink, load_sink
from domain.tasks import TaskId

TASK = TaskId(job_id="job-1", node_id="cog", attempt=2)


class FakeCatalog:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str, int, float, str]] = []
        self.fail = fail

    def update_node_progress(
        self, job_id: str, node_id: str, attempt: int, percent: float, message: str
    ) -> None:
        if self.fail:
            raise ConnectionError("database is down")
        self.calls.append((job_id, node_id, attempt, percent, message))


def make_sink() -> CatalogProgressSink:
    return CatalogProgressSink(FakeCatalog())


def test_catalog_sink_records_progress_per_node_attempt():
    catalog = FakeCatalog()
    CatalogProgressSink(catalog).update(TASK, 40.0, "tiling")

    assert catalog.calls == [("job-1", "cog", 2, 40.0, "tiling")]


def test_catalog_outage_does_not_fail_the_task():
    CatalogProgressSink(FakeCatalog(fail=True)).update(TASK, 40.0, "tiling")


def test_progress_sink_is_logging_unless_a_factory_is_named():
    assert isinstance(load_sink(None), LoggingProgressSink)
    assert isinstance(load_sink("tests.worker.test_progress:make_sink"), CatalogProgressSink)


def test_progress_sink_setting_without_factory_is_refused():
    with pytest.raises(ValueError, match=r"expected 'package\.module:factory'"):
        load_sink("tests.worker.test_progress")
