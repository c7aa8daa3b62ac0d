import pytest

from adapters.catalog.errors import UnknownJob
from domain.events import EventKind as K
from domain.status import NodeStatus
from tests.catalog.builders import a_job, an_event


def test_job_progress_is_replaced_by_the_latest_update(catalog):
    job = catalog.create_job(a_job())
    catalog.update_progress(job.job_id, {"percent": 10, "counts": {"running": 2}})
    assert catalog.update_progress(job.job_id, {"percent": 50, "running": ["tile"]}) is True
    assert catalog.get_job(job.job_id).progress == {"percent": 50, "running": ["tile"]}


def test_progress_of_an_unknown_job_reports_false(catalog):
    assert catalog.update_progress("ghost", {"percent": 1}) is False


def test_node_progress_updates_the_attempt(catalog):
    job = catalog.create_job(a_job())
    catalog.record_events([an_event(job.job_id, 1, K.NODE_RUNNING, "cog", 2)])
    catalog.update_node_progress(job.job_id, "cog", 2, 42.5, "band 2 of 4")
    (cog,) = catalog.list_nodes(job.job_id)
    assert (cog.progress_percent, cog.progress_message) == (42.5, "band 2 of 4")
    assert cog.status is NodeStatus.RUNNING


def test_node_progress_before_its_events_creates_the_attempt_and_events_still_win(catalog):
    job = catalog.create_job(a_job())
    catalog.update_node_progress(job.job_id, "cog", 1, 5.0)
    catalog.record_events([an_event(job.job_id, 1, K.NODE_DISPATCHED, "cog", 1)])
    (cog,) = catalog.list_nodes(job.job_id)
    assert (cog.status, cog.progress_percent) == (NodeStatus.DISPATCHED, 5.0)


def test_node_progress_outside_0_to_100_is_refused(catalog):
    job = catalog.create_job(a_job())
    with pytest.raises(ValueError, match="101"):
        catalog.update_node_progress(job.job_id, "cog", 1, 101)


def test_node_progress_of_an_unknown_job_is_refused(catalog):
    with pytest.raises(UnknownJob):
        catalog.update_node_progress("ghost", "cog", 1, 5.0)
