"""The submit use case on the real catalog, with the Durable client's two calls recorded
(starting orchestrations is devhost's part, covered by tests/engine)."""

import asyncio
from typing import Any

import pytest

from application.errors import UnknownWorkflow
from application.jobs import JobSubmission, submit_job
from domain.inputs import InputError
from tests.support.durable import RecordingClient as RecordingStarter


def _submit(catalog, starter, **fields: Any):
    return asyncio.run(submit_job(JobSubmission(**fields), starter, catalog))


def test_a_submission_records_the_job_and_starts_it_pinned(catalog):
    starter = RecordingStarter()
    result = _submit(catalog, starter, workflow_id="echo_test", inputs={"message": "hi"})
    assert result.created
    stored = catalog.get_job(result.job.job_id)
    assert (stored.workflow_id, stored.inputs) == ("echo_test", {"message": "hi", "repeat": 1})
    assert [e.kind.value for e in catalog.timeline(result.job.job_id)] == ["job.created"]
    [(_, instance, start)] = starter.started
    assert instance == result.job.job_id
    assert start["workflow"]["hash"] == result.job.workflow_hash
    assert start["inputs"] == stored.inputs


def test_the_same_request_id_returns_the_first_job_and_starts_nothing_more(catalog):
    starter = RecordingStarter()
    fields = {"workflow_id": "echo_test", "inputs": {"message": "x"}, "request_id": "r-1"}
    first = _submit(catalog, starter, **fields)
    again = _submit(catalog, starter, **fields)
    assert (again.job.job_id, again.created) == (first.job.job_id, False)
    assert len(starter.started) == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"workflow_id": "nope"}, UnknownWorkflow),
        ({"workflow_id": "echo_test", "inputs": {"nope": 1}}, InputError),
    ],
)
def test_a_refused_submission_stores_and_starts_nothing(catalog, fields, error):
    starter = RecordingStarter()
    with pytest.raises(error):
        _submit(catalog, starter, **fields)
    assert catalog.list_jobs().items == []
    assert starter.started == []
