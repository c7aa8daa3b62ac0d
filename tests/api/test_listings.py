"""Listings leave large fields out and every list pages."""

import pytest

import wiring
from domain.events import EventKind
from tests.api.support import call
from tests.catalog.builders import a_job, an_event


@pytest.fixture
def api(catalog, monkeypatch):
    monkeypatch.setattr(wiring, "catalog", lambda: catalog)
    return catalog


def test_a_job_listing_leaves_inputs_and_output_out(api):
    api.create_job(a_job(inputs={"big": "x" * 1000}))
    _, page = call("list_jobs", "api/jobs")
    [item] = page["items"]
    assert "inputs" not in item and "output" not in item
    assert item["workflow_id"] == "raster_ingest"


def test_a_full_job_listing_has_inputs_and_output(api):
    api.create_job(a_job(inputs={"n": 1}))
    _, page = call("list_jobs", "api/jobs", params={"full": "true"})
    assert page["items"][0]["inputs"] == {"n": 1}
    assert "output" in page["items"][0]


def _job_with_nodes(catalog, count: int) -> str:
    job = catalog.create_job(a_job())
    events = [an_event(job.job_id, 0, EventKind.JOB_CREATED)]
    events += [
        an_event(job.job_id, i + 1, EventKind.NODE_READY, node_id=f"n{i:02d}") for i in range(count)
    ]
    catalog.record_events(events)
    return job.job_id


def _pages(route, job_id: str, path: str, **params: str) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        status, page = call(route, path, params=query, route_params={"job_id": job_id})
        assert status == 200, page
        assert page["job_id"] == job_id
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_the_timeline_pages_with_limit_and_cursor(api):
    job_id = _job_with_nodes(api, 4)
    pages = _pages("get_job_timeline", job_id, f"api/jobs/{job_id}/timeline", limit="2")
    assert [[e["seq"] for e in page] for page in pages] == [[0, 1], [2, 3], [4]]


def test_the_timeline_pages_after_a_given_seq(api):
    job_id = _job_with_nodes(api, 4)
    pages = _pages("get_job_timeline", job_id, "t", limit="2", after_seq="1")
    assert [[e["seq"] for e in page] for page in pages] == [[2, 3], [4]]


def test_the_nodes_page_with_limit_and_cursor(api):
    job_id = _job_with_nodes(api, 5)
    pages = _pages("get_job_nodes", job_id, f"api/jobs/{job_id}/nodes", limit="2")
    assert [[n["node_id"] for n in page] for page in pages] == [
        ["n00", "n01"],
        ["n02", "n03"],
        ["n04"],
    ]


def test_nodes_without_full_leave_outputs_out(api):
    job_id = _job_with_nodes(api, 1)
    _, page = call("get_job_nodes", "n", params={"full": "false"}, route_params={"job_id": job_id})
    assert "output" not in page["items"][0]


def test_the_workflow_listing_pages_by_id():

    pages, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, page = call("list_workflows", "api/workflows", params=params)
        assert status == 200
        pages.append([w["workflow_id"] for w in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ids = [wid for page in pages for wid in page]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) > 3
    assert all(len(page) <= 3 for page in pages)
