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
    public,
    publication_done,
    reject,
    started,
    submit,
    with_version,
)


def _types(outcome) -> list[str]:
    return [e.type.value for e in outbound_for(outcome).events]


def test_a_public_version_without_an_indexed_stac_item_fails_its_publication_at_once():
    state, _ = apply(processed(), approve(1), clearance("cleared"))
    state, outcome = apply(state, clearance("public"))
    assert outbound_for(outcome).publication is None
    assert _types(outcome) == ["asset.publication_failed"]
    assert state.publication.error["kind"] == "nothing_to_publish"


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


def test_clearance_public_starts_the_publish_job_and_announces_nothing_yet():
    state, _ = apply(processed(), approve(1))
    state = apply(with_version(state), approve(2), clearance("cleared"))[0]
    _, outcome = apply(state, clearance("public"))
    publication = outbound_for(outcome).publication
    assert publication.workflow_id == "publish_asset"
    assert publication.job_id == outcome.state.publication.job_id
    assert publication.inputs == {
        "asset_id": outcome.state.asset_id,
        "version_ordinal": 2,
        "stac_collection": "ddh",
        "stac_item_id": outcome.state.version(2).outputs["stac_item_id"],
    }
    assert _types(outcome) == []


def test_the_publish_job_s_end_sends_published_with_its_job_and_public_item():
    state = public()
    job_id = state.publication.job_id
    outputs = {"public_item_id": state.asset_id, "public_item_href": "http://x/item.json"}
    report = finished(job_id).model_copy(update={"outputs": outputs})
    _, outcome = apply(state, report)
    (event,) = outbound_for(outcome).events
    assert (event.type, event.version_ordinal) == (EventType.PUBLISHED, 1)
    assert event.outputs == {
        "kind": "publish",
        "job_id": job_id,
        "workflow_id": "publish_asset",
        **outputs,
    }
    assert outbound_for(outcome).publication is None


def test_a_failed_publish_job_sends_publication_failed_with_its_error():
    _, outcome = publication_done(public(), ok=False)
    (event,) = outbound_for(outcome).events
    assert (event.type, event.error) == (EventType.PUBLICATION_FAILED, {"message": "boom"})


def test_approving_a_newer_version_while_the_publish_runs_reports_only_the_newer_one():
    state = with_version(public(), "v2")
    state, approved = apply(state, approve(2))
    assert outbound_for(approved).publication is None  # v1's job still runs
    state, superseded = publication_done(state)
    assert _types(superseded) == []  # no stale asset.published for version 1
    republish = outbound_for(superseded).publication
    assert republish.inputs["version_ordinal"] == 2
    _, done = publication_done(state)
    assert [(e.type.value, e.version_ordinal) for e in outbound_for(done).events] == [
        ("asset.published", 2)
    ]


def test_approving_a_newer_version_of_a_published_asset_republishes_it_when_its_job_ends():
    state, _ = publication_done(public())
    state, outcome = apply(with_version(state, "v2"), approve(2))
    assert _types(outcome) == ["version.approved"]
    assert outbound_for(outcome).publication.inputs["version_ordinal"] == 2


def test_leaving_public_starts_the_unpublish_job_and_its_end_sends_unpublished():
    state, _ = publication_done(public())
    state, outcome = apply(state, clearance("cleared"))
    assert outbound_for(outcome).publication.workflow_id == "unpublish_asset"
    assert _types(outcome) == []
    _, done = publication_done(state)
    assert [(e.type.value, e.version_ordinal) for e in outbound_for(done).events] == [
        ("asset.unpublished", 1)
    ]


def test_deleting_a_public_asset_sends_deleted_then_unpublished_when_the_job_ends():
    state, _ = publication_done(public())
    state, outcome = apply(state, delete())
    assert outbound_for(outcome).publication.workflow_id == "unpublish_asset"
    assert _types(outcome) == ["asset.deleted"]
    _, done = publication_done(state)
    assert _types(done) == ["asset.unpublished"]


def test_deleting_an_asset_that_is_not_public_unpublishes_nothing():
    _, outcome = apply(processed(), delete())
    assert outbound_for(outcome).publication is None
    assert _types(outcome) == ["asset.deleted"]


def test_withdrawing_the_published_version_sends_rejected_and_starts_the_unpublish():
    state, _ = publication_done(public())
    state, outcome = apply(state, reject(1))
    assert _types(outcome) == ["version.rejected"]
    assert outbound_for(outcome).publication.workflow_id == "unpublish_asset"
    _, done = publication_done(state)
    assert _types(done) == ["asset.unpublished"]


def test_withdrawing_the_published_version_republishes_the_older_approved_one():
    state, _ = publication_done(public(versions=2))
    _, outcome = apply(state, reject(2))
    assert outbound_for(outcome).publication.inputs["version_ordinal"] == 1


def test_events_are_recorded_before_the_job_starts_so_they_precede_what_its_end_sends():
    state, _ = publication_done(public())
    _, outcome = apply(state, delete())
    assert outbound_for(outcome).events_first


def test_publication_events_keep_their_ids_when_decided_again():
    _, outcome = publication_done(public())
    assert outbound_for(outcome).events == outbound_for(outcome).events


def test_an_outcome_of_the_previous_machine_keeps_its_decisions():
    """An asset_command in flight across the upgrade replays an outcome whose details name
    ``published_ordinal``: it starts the publish job and sends asset.published at once."""
    state = public()
    _, outcome = publication_done(state)
    event = outcome.event.model_copy(
        update={"action": "published", "details": {"published_ordinal": 1}}
    )
    legacy = outcome.model_copy(update={"event": event})
    decided = outbound_for(legacy)
    assert decided.publication.workflow_id == "publish_asset"
    assert not decided.events_first  # the job was started before the events were recorded
    assert _types(legacy) == ["asset.published"]
    assert decided.events[0].outputs == {
        "job_id": decided.publication.job_id,
        "workflow_id": "publish_asset",
    }


def test_event_ids_are_the_same_when_the_same_outcome_is_decided_again():
    _, outcome = apply(processed(), approve(1))
    assert outbound_for(outcome).events == outbound_for(outcome).events


def test_a_refused_command_sends_nothing():
    _, outcome = apply(processed(), clearance("public"))
    assert not outcome.ok
    assert outbound_for(outcome).events == []
