"""What an asset command sends out (domain.outbound): callback events and publications."""

from domain.callbacks import EventType
from domain.outbound import outbound_for
from tests.domain.asset_support import (
    apply,
    approve,
    clearance,
    delete,
    finished,
    processed,
    reject,
    started,
    submit,
)


def _types(outcome) -> list[str]:
    return [e.type.value for e in outbound_for(outcome).events]


def _indexed(job_id: str):
    """A successful job report whose outputs name an indexed STAC item (raster_ingest)."""
    outputs = {"stac_item_id": f"item-{job_id}", "stac_collection": "ddh"}
    return finished(job_id).model_copy(update={"outputs": outputs})


def _public():
    first = submit()
    state, _ = apply(None, first, started(first.job_id), _indexed(first.job_id))
    state, _ = apply(state, approve(1), clearance("cleared"))
    return apply(state, clearance("public"))


def test_a_public_version_without_an_indexed_stac_item_starts_no_publication():
    state, _ = apply(processed(), approve(1), clearance("cleared"))
    _, outcome = apply(state, clearance("public"))
    assert outbound_for(outcome).publication is None


def test_completed_processing_sends_its_outputs():
    first = submit()
    _, outcome = apply(None, first, started(first.job_id), finished(first.job_id))
    (event,) = outbound_for(outcome).events
    assert event.type is EventType.PROCESSING_COMPLETED
    assert event.outputs == {"stac_item_id": first.job_id}
    assert (event.request_id, event.version_ordinal) == (first.request_id, 1)
    assert event.identifiers == first.identity
    assert event.state["processing"] == "completed"


def test_failed_processing_sends_its_error():
    first = submit()
    _, outcome = apply(None, first, started(first.job_id), finished(first.job_id, ok=False))
    (event,) = outbound_for(outcome).events
    assert (event.type, event.error) == (EventType.PROCESSING_FAILED, {"message": "boom"})


def test_starting_processing_sends_nothing():
    first = submit()
    _, outcome = apply(None, first, started(first.job_id))
    assert outbound_for(outcome).events == []


def test_approval_and_rejection_send_their_events():
    _, approved = apply(processed(), approve(1))
    _, rejected = apply(processed(), reject(1))
    assert (_types(approved), _types(rejected)) == (["version.approved"], ["version.rejected"])


def test_clearance_public_publishes_the_latest_approved_version():
    _, outcome = _public()
    publication = outbound_for(outcome).publication
    assert publication.workflow_id == "publish_asset"
    assert publication.inputs == {
        "asset_id": outcome.state.asset_id,
        "version_ordinal": 1,
        "stac_collection": "ddh",
        "stac_item_id": outcome.state.version(1).outputs["stac_item_id"],
    }
    assert _types(outcome) == ["asset.published"]


def test_approving_a_newer_version_of_a_public_asset_republishes_it():
    state, _ = _public()
    second = submit("v2")
    state, _ = apply(state, second, started(second.job_id), _indexed(second.job_id))
    _, outcome = apply(state, approve(2))
    assert outbound_for(outcome).publication.inputs["version_ordinal"] == 2
    assert _types(outcome) == ["version.approved", "asset.published"]


def test_leaving_public_unpublishes():
    state, _ = _public()
    _, outcome = apply(state, clearance("cleared"))
    assert outbound_for(outcome).publication.workflow_id == "unpublish_asset"
    assert _types(outcome) == ["asset.unpublished"]


def test_deleting_a_public_asset_unpublishes_and_sends_deleted():
    state, _ = _public()
    _, outcome = apply(state, delete())
    assert outbound_for(outcome).publication.workflow_id == "unpublish_asset"
    assert _types(outcome) == ["asset.unpublished", "asset.deleted"]


def test_deleting_an_asset_that_is_not_public_unpublishes_nothing():
    _, outcome = apply(processed(), delete())
    assert outbound_for(outcome).publication is None
    assert _types(outcome) == ["asset.deleted"]


def test_event_ids_are_the_same_when_the_same_outcome_is_decided_again():
    _, outcome = apply(processed(), approve(1))
    assert outbound_for(outcome).events == outbound_for(outcome).events


def test_a_refused_command_sends_nothing():
    _, outcome = apply(processed(), clearance("public"))
    assert not outcome.ok
    assert outbound_for(outcome).events == []
