import threading

import pytest

from adapters.catalog.errors import JobConflict
from domain.status import JobStatus
from tests.catalog.builders import a_job


def test_created_job_reads_back_unchanged(catalog):
    job = a_job(request_id="req-1", asset_id="asset-9", inputs={"n": [1, 2]})
    stored = catalog.create_job(job)
    assert catalog.get_job(job.job_id) == stored
    assert stored.model_dump(exclude={"updated_at"}) == job.model_dump(exclude={"updated_at"})
    assert stored.status is JobStatus.CREATED


def test_same_request_id_returns_the_existing_job(catalog):
    first = catalog.create_job(a_job(request_id="req-1"))
    again = catalog.create_job(a_job(request_id="req-1"))
    assert again == first
    assert catalog.list_jobs().items == [first]


def test_concurrent_submissions_of_one_request_create_one_job(catalog):
    results = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        barrier.wait()
        results.append(catalog.create_job(a_job(request_id="req-race")))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({job.job_id for job in results}) == 1
    assert len(catalog.list_jobs().items) == 1


def test_replayed_create_with_same_job_id_returns_the_job(catalog):
    job = a_job()
    assert catalog.create_job(job) == catalog.create_job(job)


def test_existing_job_id_with_another_request_id_is_a_conflict(catalog):
    job = catalog.create_job(a_job(request_id="req-1"))
    with pytest.raises(JobConflict, match="req-2"):
        catalog.create_job(a_job(job_id=job.job_id, request_id="req-2"))


def test_jobs_without_request_id_do_not_collide(catalog):
    catalog.create_job(a_job())
    catalog.create_job(a_job())
    assert len(catalog.list_jobs().items) == 2


def test_unknown_job_and_request_read_as_none(catalog):
    assert catalog.get_job("nope") is None
    assert catalog.find_by_request_id("nope") is None


def test_find_by_request_id_returns_the_job(catalog):
    job = catalog.create_job(a_job(request_id="req-7"))
    assert catalog.find_by_request_id("req-7") == job


def test_ping_answers_true_on_a_live_catalog(catalog):
    assert catalog.ping() is True


def test_ping_answers_false_when_the_pool_is_closed(catalog):
    catalog.pool.close()
    assert catalog.ping() is False
