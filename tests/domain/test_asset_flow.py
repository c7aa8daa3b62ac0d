"""Decisions around the asset entity call: which job to start, what a job reports."""

from datetime import UTC, datetime

from domain.asset_flow import (
    AssetJob,
    command_instance_id,
    job_finished_report,
    job_outputs,
    job_to_start,
    reports_to_asset,
)
from domain.asset_machine import decide
from domain.assets import asset_table
from tests.domain.asset_support import (
    apply,
    approve,
    finished,
    processed,
    reprocess,
    started,
    submit,
)

JOB = AssetJob(workflow_id="raster_ingest", inputs={"container": "raw", "blob_path": "a.tif"})
AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_new_version_starts_its_queued_job():
    command = submit()
    start = job_to_start(decide(None, command), JOB)
    assert (start.ordinal, start.job_id, start.job) == (1, command.job_id, JOB)


def test_a_duplicate_submission_starts_the_job_only_while_it_is_still_queued():
    command = submit()
    state, _ = apply(None, command)
    assert job_to_start(decide(state, command), JOB) is not None  # the first never started it
    state, _ = apply(state, started(command.job_id))
    assert job_to_start(decide(state, command), JOB) is None


def test_refused_commands_start_nothing():
    assert job_to_start(decide(processed(), approve(ordinal=5)), JOB) is None
    running, _ = apply(None, submit())
    assert job_to_start(decide(running, reprocess()), JOB) is None


def test_reprocess_starts_the_versions_new_job():
    command = reprocess()
    start = job_to_start(decide(processed(ok=False), command), JOB)
    assert start.job_id == command.job_id


def test_a_vector_job_gets_its_version_s_own_table_on_submit_and_on_reprocess():
    vector = AssetJob(
        workflow_id="vector_ingest", inputs={"blob_path": "a.gpkg"}, table_input="table"
    )
    first = submit()
    state, _ = apply(None, first)
    assert job_to_start(decide(None, first), vector).job.inputs["table"].endswith("_v1")
    state, _ = apply(state, started(first.job_id), finished(first.job_id), approve(ordinal=1))
    second = submit("v2")
    outcome = decide(state, second)
    assert outcome.result["ordinal"] == 2
    assert job_to_start(outcome, vector).job.inputs == {
        "blob_path": "a.gpkg",
        "table": asset_table(state.asset_id, 2),
    }
    state, _ = apply(state, second, started(second.job_id), finished(second.job_id, ok=False))
    redo = job_to_start(decide(state, reprocess(ordinal=2)), vector)
    assert redo.job.inputs["table"] == asset_table(state.asset_id, 2)


def test_instance_ids_are_the_same_for_the_same_request_and_url_safe():
    one = command_instance_id("submit", "ddh", "r/1?#")
    assert one == command_instance_id("submit", "ddh", "r/1?#")
    assert one != command_instance_id("submit", "ddh", "r/2")
    assert one.startswith("asset-cmd-") and one.replace("-", "").isalnum()


def test_only_top_level_jobs_of_an_asset_report_to_it():
    assert reports_to_asset("ddh-x", None)
    assert not reports_to_asset("ddh-x", "parent-job")
    assert not reports_to_asset(None, None)


def test_a_raster_ingest_result_keeps_the_stac_item_and_cog_location():
    item = {
        "id": "job-1",
        "collection": "ddh",
        "bbox": [1, 2, 3, 4],
        "assets": {"data": {"href": "http://x/cogs/job-1/cog.tif", "type": "image/tiff"}},
    }
    result = {
        "stac_item": {"item": item, "item_blob": {"url": "http://x/cogs/job-1/cog.stac.json"}}
    }
    assert job_outputs(result) == {
        "stac_item_id": "job-1",
        "stac_collection": "ddh",
        "stac_item_href": "http://x/cogs/job-1/cog.stac.json",
        "cog_href": "http://x/cogs/job-1/cog.tif",
        "cog_type": "image/tiff",
        "bbox": [1, 2, 3, 4],
    }


def test_a_failed_or_cancelled_job_reports_an_error():
    failed = job_finished_report("a", "j", AT, "failed", None, {"message": "bad raster"})
    assert (failed.command.ok, failed.command.error) == (False, {"message": "bad raster"})
    cancelled = job_finished_report("a", "j", AT, "cancelled", None, None)
    assert cancelled.command.error == {"message": "job cancelled"}


def test_an_offloaded_stac_item_is_kept_as_its_reference():
    ref = {"$ref": "dagmaster-outputs/j/stac/1.json", "size": 40000, "path": ["item"]}
    assert job_outputs({"stac_item": {"item": ref}}) == {"stac_item_ref": ref}
