from datetime import timedelta

from domain.events import EventKind as K
from tests.catalog.builders import T0, a_job, an_event


def test_node_states_give_each_nodes_latest_status_children_included(catalog):
    job = catalog.create_job(a_job())
    catalog.record_events(
        [
            an_event(job.job_id, 1, K.NODE_DISPATCHED, "tiles", 1),
            an_event(job.job_id, 2, K.NODE_DISPATCHED, "tiles[0]", 1),
            an_event(job.job_id, 3, K.NODE_RETRYING, "tiles[0]", 1),
            an_event(job.job_id, 4, K.NODE_DISPATCHED, "tiles[0]", 2),
            an_event(job.job_id, 5, K.NODE_COMPLETED, "tiles[0]", 2),
        ]
    )
    assert catalog.node_states(job.job_id) == [("tiles", "dispatched"), ("tiles[0]", "completed")]


def test_job_status_counts_only_count_jobs_created_since(catalog):
    catalog.create_job(a_job(created_at=T0 - timedelta(days=2)))
    catalog.create_job(a_job(created_at=T0))
    done = catalog.create_job(a_job(created_at=T0 + timedelta(hours=1)))
    catalog.record_events([an_event(done.job_id, 1, K.JOB_COMPLETED)])
    assert catalog.job_status_counts(T0 - timedelta(days=1)) == {"created": 1, "completed": 1}
