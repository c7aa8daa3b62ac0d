"""Retrying a failed publication: a reviewer starts a new job toward the current target;
anything but a failed publication is refused, naming its state."""

from domain.asset_machine import asset_actions, decide, publication_actions
from domain.assets import PublicationKind, PublicationStatus, publication_job_id
from domain.callbacks import EventType
from domain.outbound import outbound_for
from tests.domain.asset_support import (
    ASSET_ID,
    apply,
    approve,
    clearance,
    delete,
    processed,
    public,
    publication_done,
    retry_publication,
    with_version,
)


def test_retrying_a_failed_publish_starts_a_new_publish_of_the_target():
    state, _ = publication_done(public(), ok=False)
    failed = state.publication.job_id
    state, outcome = apply(state, retry_publication())
    pub = state.publication
    assert outcome.event.action == "publication_retried"
    assert (pub.kind, pub.ordinal, pub.status) == (PublicationKind.PUBLISH, 1, "running")
    assert pub.job_id == publication_job_id(PublicationKind.PUBLISH, ASSET_ID, state.revision)
    assert pub.job_id != failed and outcome.event.details["retry_of"]["job_id"] == failed


def test_a_retried_publish_that_succeeds_is_announced_as_published():
    state, _ = apply(publication_done(public(), ok=False)[0], retry_publication())
    state, outcome = publication_done(state)
    assert outcome.event.action == "publication_succeeded"
    assert [e.type for e in outbound_for(outcome).events] == [EventType.PUBLISHED]


def test_the_retry_s_outbound_starts_the_publish_job_and_sends_nothing_yet():
    state, outcome = apply(publication_done(public(), ok=False)[0], retry_publication())
    outbound = outbound_for(outcome)
    assert outbound.events == []
    assert outbound.publication.job_id == state.publication.job_id
    assert outbound.publication.workflow_id == "publish_asset"


def test_retrying_a_failed_unpublish_of_a_deleted_asset_unpublishes_the_same_version():
    state, _ = publication_done(public())
    state, _ = publication_done(apply(state, delete())[0], ok=False)
    assert "publication:retry" in asset_actions(state)
    state, outcome = apply(state, retry_publication())
    pub = state.publication
    assert outcome.ok and state.deleted
    assert (pub.kind, pub.ordinal, pub.status) == (PublicationKind.UNPUBLISH, 1, "running")
    assert outbound_for(outcome).publication.workflow_id == "unpublish_asset"


def test_a_retry_goes_to_the_current_target_not_the_failed_job_s():
    state, _ = publication_done(public(versions=2), ok=False)  # v2's publish failed
    state, _ = apply(state, clearance("cleared"))  # unpublish starts and fails
    state, _ = publication_done(state, ok=False)
    state, _ = apply(state, clearance("public"), retry_publication())
    assert state.publication.status is PublicationStatus.RUNNING  # the new target's own job
    state, _ = publication_done(state, ok=False)
    state, _ = apply(state, retry_publication())
    assert (state.publication.kind, state.publication.ordinal) == (PublicationKind.PUBLISH, 2)


def test_a_retry_of_a_version_with_nothing_to_publish_fails_again_at_once():
    state, _ = apply(processed(), approve(), clearance("cleared"), clearance("public"))
    assert state.publication.error["kind"] == "nothing_to_publish"
    state, outcome = apply(state, retry_publication())
    assert state.publication.status is PublicationStatus.FAILED
    assert state.publication.revision == state.revision
    assert [e.type for e in outbound_for(outcome).events] == [EventType.PUBLICATION_FAILED]


def test_retrying_a_running_publication_is_refused_naming_its_state():
    state = with_version(public(), "v2")
    outcome = decide(state, retry_publication())
    assert not outcome.ok and outcome.refusal.code == "conflict"
    assert outcome.refusal.message.startswith(
        "cannot retry the publication: its publish is running; only a failed one is retried"
    )
    assert outcome.refusal.current["publication"] == "running"
    assert "publication:retry" not in outcome.refusal.allowed


def test_retrying_a_succeeded_publication_is_refused():
    state, _ = publication_done(public())
    outcome = decide(state, retry_publication())
    assert "its publish is succeeded" in outcome.refusal.message


def test_retrying_without_any_publication_is_refused():
    outcome = decide(processed(), retry_publication())
    assert "the asset has no publication" in outcome.refusal.message
    assert outcome.refusal.current["publication"] is None


def test_on_a_deleted_asset_only_a_failed_unpublish_is_retried():
    state, _ = publication_done(public(), ok=False)
    failed_publish = state.publication
    failed_unpublish = failed_publish.model_copy(update={"kind": PublicationKind.UNPUBLISH})
    assert publication_actions(failed_publish, deleted=True) == []
    assert publication_actions(failed_unpublish, deleted=True) == ["publication:retry"]


def test_a_deleted_asset_whose_unpublish_succeeded_refuses_a_retry():
    state, _ = publication_done(public(), ok=False)
    state, _ = publication_done(apply(state, delete())[0])
    assert asset_actions(state) == []
    outcome = decide(state, retry_publication())
    assert "its unpublish is succeeded" in outcome.refusal.message


def test_a_failed_publication_offers_the_retry_among_the_asset_s_actions():
    state, _ = publication_done(public(), ok=False)
    assert asset_actions(state) == ["submit", "clearance:cleared", "publication:retry", "delete"]
