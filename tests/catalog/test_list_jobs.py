import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.status import JobStatus
from tests.catalog.builders import T0, a_job


def ids(page) -> list[str]:
    return [job.job_id for job in page.items]


def all_pages(catalog, limit: int, **filters) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = catalog.list_jobs(limit=limit, cursor=cursor, **filters)
        pages.append(ids(page))
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_jobs_list_newest_first(catalog):
    old = catalog.create_job(a_job(created_at=T0))
    new = catalog.create_job(a_job(created_at=T0 + timedelta(minutes=1)))
    assert ids(catalog.list_jobs()) == [new.job_id, old.job_id]


def test_list_filters_by_status(catalog):
    running = catalog.create_job(a_job(status=JobStatus.RUNNING))
    catalog.create_job(a_job())
    assert ids(catalog.list_jobs(status=JobStatus.RUNNING)) == [running.job_id]


def test_list_filters_by_workflow(catalog):
    cog = catalog.create_job(a_job(workflow_id="cog_only"))
    catalog.create_job(a_job())
    assert ids(catalog.list_jobs(workflow_id="cog_only")) == [cog.job_id]


def test_list_filters_by_asset(catalog):
    mine = catalog.create_job(a_job(asset_id="asset-1"))
    catalog.create_job(a_job(asset_id="asset-2"))
    catalog.create_job(a_job())
    assert ids(catalog.list_jobs(asset_id="asset-1")) == [mine.job_id]


def test_created_range_includes_from_and_excludes_to(catalog):
    jobs = [catalog.create_job(a_job(created_at=T0 + timedelta(hours=h))) for h in range(4)]
    page = catalog.list_jobs(
        created_from=T0 + timedelta(hours=1), created_to=T0 + timedelta(hours=3)
    )
    assert ids(page) == [jobs[2].job_id, jobs[1].job_id]


def test_filters_combine(catalog):
    match = catalog.create_job(a_job(workflow_id="w", asset_id="a", status=JobStatus.FAILED))
    catalog.create_job(a_job(workflow_id="w", asset_id="a"))
    catalog.create_job(a_job(workflow_id="w", status=JobStatus.FAILED))
    page = catalog.list_jobs(workflow_id="w", asset_id="a", status=JobStatus.FAILED)
    assert ids(page) == [match.job_id]


def test_last_page_has_no_cursor(catalog):
    catalog.create_job(a_job())
    assert catalog.list_jobs(limit=1).next_cursor is None


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    minutes=st.lists(st.integers(min_value=0, max_value=3), max_size=25),
    limit=st.integers(min_value=1, max_value=7),
)
def test_pages_cover_every_job_once_in_order(catalog, minutes, limit):
    # Few distinct timestamps, so many jobs tie on created_at and job_id breaks the tie.
    workflow = f"wf-{uuid.uuid4().hex}"  # isolates this example's jobs in the shared schema
    jobs = [
        catalog.create_job(a_job(workflow_id=workflow, created_at=T0 + timedelta(minutes=m)))
        for m in minutes
    ]
    expected = [
        j.job_id for j in sorted(jobs, key=lambda j: (j.created_at, j.job_id), reverse=True)
    ]
    pages = all_pages(catalog, limit, workflow_id=workflow)
    assert [job_id for page in pages for job_id in page] == expected
    assert all(len(page) == limit for page in pages[:-1])


def test_jobs_created_while_paging_do_not_shift_later_pages(catalog):
    first = [catalog.create_job(a_job(created_at=T0 + timedelta(seconds=s))) for s in range(4)]
    page = catalog.list_jobs(limit=2)
    catalog.create_job(a_job(created_at=T0 + timedelta(days=1)))
    rest = catalog.list_jobs(limit=2, cursor=page.next_cursor)
    assert ids(page) + ids(rest) == [j.job_id for j in reversed(first)]


def test_tampered_cursor_is_refused_quoting_it(catalog):
    with pytest.raises(ValueError, match="Invalid cursor 'not-a-cursor'"):
        catalog.list_jobs(cursor="not-a-cursor")


def test_limit_outside_1_to_1000_is_refused(catalog):
    with pytest.raises(ValueError, match="Invalid limit 0"):
        catalog.list_jobs(limit=0)
