"""Progress sinks: the catalog adapter, the configured factory, and which sink is chosen."""

from __future__ import annotations

import logging

import pytest

from adapters.catalog import CatalogSettings
from container_worker.progress import (
    CatalogProgressSink,
    LoggingProgressSink,
    configured_sink,
    load_sink,
)
from domain.tasks import TaskId
from tests.catalog.builders import a_job

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


def test_catalog_outage_does_not_fail_the_task_and_is_logged(caplog):
    with caplog.at_level(logging.ERROR):
        CatalogProgressSink(FakeCatalog(fail=True)).update(TASK, 40.0, "tiling")  # no raise

    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "could not record progress of job-1/cog/2"
    assert record.exc_info is not None and "database is down" in str(record.exc_info[1])


def test_progress_sink_is_logging_unless_a_factory_is_named():
    assert isinstance(load_sink(None), LoggingProgressSink)
    assert isinstance(load_sink("tests.worker.test_progress:make_sink"), CatalogProgressSink)


def test_progress_sink_setting_without_factory_is_refused():
    with pytest.raises(ValueError, match=r"expected 'package\.module:factory'"):
        load_sink("tests.worker.test_progress")


def test_progress_sink_is_the_job_catalog_when_the_settings_name_one(catalog_db):
    catalog_db.catalog.create_job(a_job(job_id="job-1"))
    sink = configured_sink(None, CatalogSettings(DATABASE_URL=catalog_db.url))
    try:
        sink.update(TASK, 40.0, "tiling")
    finally:
        sink.close()

    [node] = catalog_db.catalog.list_nodes("job-1")
    assert (node.node_id, node.attempt, node.progress_percent, node.progress_message) == (
        "cog",
        2,
        40.0,
        "tiling",
    )


def test_progress_sink_is_the_log_without_a_catalog_and_the_worker_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="container_worker.progress"):
        sink = configured_sink(None, None)

    assert isinstance(sink, LoggingProgressSink)
    assert "progress sink: the log only; no job catalog is configured" in caplog.text


def test_named_progress_factory_wins_over_the_catalog(caplog):
    with caplog.at_level(logging.INFO, logger="container_worker.progress"):
        sink = configured_sink(
            "tests.worker.test_progress:make_sink", CatalogSettings(DATABASE_URL="host=nowhere")
        )

    assert isinstance(sink, CatalogProgressSink)  # built by make_sink, no database opened
    assert "(DAGMASTER_WORKER_PROGRESS_SINK)" in caplog.text
