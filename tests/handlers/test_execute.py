"""`handlers.execute`: the one path by which light activities and the worker run a handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.blob import open_blob_store
from adapters.outputs import OUTPUT_CONTAINER
from adapters.taskqueue import JsonBlobs
from config.settings import StorageSettings
from domain.offload import is_ref
from domain.tasks import TaskId, TaskResult
from handlers import LocalContext
from handlers.execute import execute
from tests.support.azurite import Azurite

TASK = TaskId(job_id="job-x", node_id="n", attempt=2)


@pytest.fixture(scope="module")
def blobs(azurite: Azurite) -> Iterator[JsonBlobs]:
    settings = StorageSettings(connection_string=azurite.connection_string)
    store = JsonBlobs(open_blob_store(settings))
    yield store
    store.close()


def run(blobs: JsonBlobs, handler: str, params: dict, limit: int = 32 * 1024) -> TaskResult:
    ctx = LocalContext(job_id=TASK.job_id, node_id=TASK.node_id, attempt=TASK.attempt)
    return execute(TASK, handler, params, ctx=ctx, blobs=lambda: blobs, large_output_bytes=limit)


def test_referenced_params_are_read_before_the_handler_runs(blobs):
    blobs.put(f"{OUTPUT_CONTAINER}/job-x/plan/1.json", {"tiles": [{"row": 1}, {"row": 2}]})
    ref = {"$ref": f"{OUTPUT_CONTAINER}/job-x/plan/1.json", "path": ["tiles", 1]}

    result = run(blobs, "echo", {"tile": ref})

    assert result.status == "completed"
    assert result.output == {"tile": {"row": 2}}


def test_a_missing_referenced_output_fails_without_retry(blobs):
    ref = {"$ref": f"{OUTPUT_CONTAINER}/job-x/gone/1.json", "size": 50_000}

    result = run(blobs, "echo", {"tile": ref})

    assert result.error is not None
    assert (result.error.kind, result.error.retryable) == ("payload_missing", False)


def test_handler_errors_are_classified_by_kind_and_retryability(blobs):
    result = run(blobs, "fail", {"kind": "corrupt_raster"})

    assert result.status == "failed" and result.error is not None
    assert (result.error.kind, result.error.retryable) == ("corrupt_raster", False)


def test_invalid_params_fail_as_invalid_params(blobs):
    result = run(blobs, "sleep", {"seconds": "long"})

    assert result.error is not None and result.error.kind == "invalid_params"


def test_a_large_output_is_stored_whole_and_its_stub_returned(blobs):
    result = run(blobs, "make_items", {"count": 200, "padding": 100}, limit=2048)

    assert result.status == "completed"
    assert is_ref(result.output["items"])
    stored = blobs.get(f"{OUTPUT_CONTAINER}/{TASK.key()}.json")
    assert len(stored["items"]) == 200


def test_a_small_output_touches_no_blob_storage():
    def no_storage() -> JsonBlobs:
        raise AssertionError("blob storage was opened")

    ctx = LocalContext()
    result = execute(
        TASK, "echo", {"a": 1}, ctx=ctx, blobs=no_storage, large_output_bytes=32 * 1024
    )

    assert result.output == {"a": 1}
