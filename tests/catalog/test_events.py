import random
import threading

import pytest

from adapters.catalog.errors import UnknownJob
from domain.events import EventKind as K
from domain.status import JobStatus, NodeStatus
from tests.catalog.builders import a_job, an_event


@pytest.fixture
def job_id(catalog) -> str:
    return catalog.create_job(a_job()).job_id


def node(catalog, job_id: str, node_id: str):
    (found,) = [n for n in catalog.list_nodes(job_id) if n.node_id == node_id]
    return found


def test_record_events_twice_inserts_once(catalog, job_id):
    events = [an_event(job_id, 0, K.JOB_CREATED), an_event(job_id, 1, K.JOB_STARTED)]
    assert catalog.record_events(events) == 2
    assert catalog.record_events(events) == 0
    assert [e.seq for e in catalog.timeline(job_id)] == [0, 1]


def test_duplicates_within_one_batch_count_once(catalog, job_id):
    event = an_event(job_id, 0, K.JOB_CREATED)
    assert catalog.record_events([event, event]) == 1


def test_empty_batch_records_nothing(catalog):
    assert catalog.record_events([]) == 0


def test_timeline_is_ordered_by_seq_whatever_the_arrival_order(catalog, job_id):
    events = [an_event(job_id, seq, K.NODE_READY, f"n{seq}") for seq in range(20)]
    shuffled = random.Random(7).sample(events, len(events))
    for batch in (shuffled[:7], shuffled[7:]):
        catalog.record_events(batch)
    assert catalog.timeline(job_id) == events


def test_timeline_after_seq_returns_only_later_events(catalog, job_id):
    catalog.record_events([an_event(job_id, s, K.NODE_READY, "a") for s in range(5)])
    assert [e.seq for e in catalog.timeline(job_id, after_seq=2)] == [3, 4]


def test_job_projection_follows_job_events(catalog, job_id):
    catalog.record_events(
        [
            an_event(job_id, 0, K.JOB_CREATED),
            an_event(job_id, 1, K.JOB_STARTED),
            an_event(job_id, 9, K.JOB_COMPLETED, output={"item": "stac/1.json"}),
        ]
    )
    job = catalog.get_job(job_id)
    assert job.status is JobStatus.COMPLETED
    assert job.output == {"item": "stac/1.json"}
    assert job.started_at == an_event(job_id, 1, K.JOB_STARTED).at
    assert job.completed_at == an_event(job_id, 9, K.JOB_COMPLETED).at


def test_late_job_started_does_not_regress_a_failed_job(catalog, job_id):
    catalog.record_events([an_event(job_id, 5, K.JOB_FAILED, error={"kind": "Timeout"})])
    catalog.record_events([an_event(job_id, 1, K.JOB_STARTED)])
    job = catalog.get_job(job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == {"kind": "Timeout"}
    assert job.started_at == an_event(job_id, 1, K.JOB_STARTED).at


def test_out_of_order_node_events_do_not_regress_the_node(catalog, job_id):
    done = an_event(job_id, 4, K.NODE_COMPLETED, "cog", 1, output={"href": "cog.tif"})
    catalog.record_events([done])
    catalog.record_events(
        [
            an_event(job_id, 2, K.NODE_DISPATCHED, "cog", 1, handler="create_cog", queue="heavy"),
            an_event(job_id, 3, K.NODE_RUNNING, "cog", 1),
        ]
    )
    cog = node(catalog, job_id, "cog")
    assert cog.status is NodeStatus.COMPLETED
    assert cog.output == {"href": "cog.tif"}
    assert (cog.handler, cog.queue) == ("create_cog", "heavy")
    assert cog.started_at == an_event(job_id, 2, K.NODE_DISPATCHED).at
    assert cog.finished_at == done.at


def test_failure_error_is_kept_when_it_arrives_after_the_retry(catalog, job_id):
    catalog.record_events([an_event(job_id, 3, K.NODE_RETRYING, "v", 1)])
    catalog.record_events([an_event(job_id, 2, K.NODE_FAILED, "v", 1, error={"kind": "IO"})])
    (attempt,) = catalog.list_node_attempts(job_id, "v")
    assert attempt.status is NodeStatus.RETRYING
    assert attempt.error == {"kind": "IO"}


def test_node_with_three_attempts_lists_as_latest_attempt_with_count_three(catalog, job_id):
    events = [an_event(job_id, 0, K.NODE_READY, "tile")]
    for attempt in (1, 2, 3):
        seq = attempt * 10
        events += [
            an_event(job_id, seq, K.NODE_DISPATCHED, "tile", attempt),
            an_event(job_id, seq + 1, K.NODE_FAILED, "tile", attempt, error={"n": attempt}),
        ]
    events[-1] = an_event(job_id, 31, K.NODE_COMPLETED, "tile", 3, output=1)
    catalog.record_events(events)
    (tile,) = catalog.list_nodes(job_id)
    assert (tile.attempt, tile.attempts, tile.status) == (3, 3, NodeStatus.COMPLETED)
    attempts = catalog.list_node_attempts(job_id, "tile")
    assert [(a.attempt, a.status) for a in attempts] == [
        (1, NodeStatus.FAILED),
        (2, NodeStatus.FAILED),
        (3, NodeStatus.COMPLETED),
    ]


def test_list_nodes_returns_one_row_per_node_sorted_by_id(catalog, job_id):
    catalog.record_events(
        [an_event(job_id, i, K.NODE_READY, name) for i, name in enumerate(["b", "a", "c"])]
    )
    assert [n.node_id for n in catalog.list_nodes(job_id)] == ["a", "b", "c"]


def test_skipped_node_without_attempt_counts_as_attempt_one(catalog, job_id):
    catalog.record_events([an_event(job_id, 1, K.NODE_SKIPPED, "route")])
    route = node(catalog, job_id, "route")
    assert (route.attempt, route.status) == (1, NodeStatus.SKIPPED)


def test_events_of_an_unknown_job_are_refused_and_nothing_is_stored(catalog, job_id):
    batch = [an_event(job_id, 0, K.JOB_CREATED), an_event("ghost", 0, K.JOB_CREATED)]
    with pytest.raises(UnknownJob, match="ghost"):
        catalog.record_events(batch)
    assert catalog.timeline(job_id) == []


def test_node_event_without_node_id_is_refused(catalog, job_id):
    with pytest.raises(ValueError, match=f"{job_id}:1"):
        catalog.record_events([an_event(job_id, 1, K.NODE_READY)])


def test_event_data_round_trips_through_the_timeline(catalog, job_id):
    event = an_event(job_id, 1, K.NODE_WAITING, "approve", 1, wait={"event": "approval"})
    catalog.record_events([event])
    assert catalog.timeline(job_id) == [event]


def test_concurrent_overlapping_batches_record_each_event_once_and_converge(catalog, job_id):
    events = [an_event(job_id, 0, K.JOB_STARTED)]
    for n in range(30):
        events += [
            an_event(job_id, 1 + 2 * n, K.NODE_DISPATCHED, f"n{n:02}", 1),
            an_event(job_id, 2 + 2 * n, K.NODE_COMPLETED, f"n{n:02}", 1, output=n),
        ]
    events.append(an_event(job_id, 99, K.JOB_COMPLETED, output={"ok": True}))
    batches = [random.Random(seed).sample(events, 40) for seed in range(4)] + [events]
    counts: list[int] = []

    def record(batch) -> None:
        counts.append(catalog.record_events(batch))

    threads = [threading.Thread(target=record, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(events)
    assert {n.status for n in catalog.list_nodes(job_id)} == {NodeStatus.COMPLETED}
    assert [n.output for n in catalog.list_nodes(job_id)] == list(range(30))
    assert catalog.get_job(job_id).status is JobStatus.COMPLETED


def test_node_status_counts_use_each_nodes_latest_attempt(catalog, job_id):
    catalog.record_events(
        [
            an_event(job_id, 0, K.NODE_DISPATCHED, "a", 1),
            an_event(job_id, 1, K.NODE_RETRYING, "a", 1),
            an_event(job_id, 2, K.NODE_DISPATCHED, "a", 2),
            an_event(job_id, 3, K.NODE_DISPATCHED, "b", 1),
            an_event(job_id, 4, K.NODE_COMPLETED, "b", 1),
            an_event(job_id, 5, K.NODE_DISPATCHED, "c[1]", 1),
        ]
    )
    counts, running = catalog.node_status_counts(job_id)
    assert counts == {"dispatched": 2, "completed": 1}
    assert running == ["a", "c[1]"]
