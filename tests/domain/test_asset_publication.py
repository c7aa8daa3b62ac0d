"""The asset machine's publication: a public, non-deleted asset publishes its latest approved
version, one publication job at a time; reviewers may withdraw an approval."""

from domain.asset_machine import decide
from domain.assets import Approval, Clearance, PublicationKind, PublicationStatus
from tests.domain.asset_support import (
    apply,
    approve,
    clearance,
    finished,
    processed,
    public,
    publication_done,
    reject,
    started,
    with_version,
)


def test_clearance_public_records_a_running_publish_job_of_the_latest_approved_version():
    state = public(versions=2)
    pub = state.publication
    assert (pub.kind, pub.ordinal, pub.status) == (PublicationKind.PUBLISH, 2, "running")
    assert state.public_ordinal == 2 and pub.revision == state.revision


def test_the_publish_job_s_end_is_recorded_on_the_asset():
    state, outcome = publication_done(public())
    assert state.publication.status is PublicationStatus.SUCCEEDED
    assert outcome.event.action == "publication_succeeded"


def test_a_failed_publish_job_is_recorded_with_its_error():
    state, outcome = publication_done(public(), ok=False)
    assert state.publication.status is PublicationStatus.FAILED
    assert state.publication.error == {"message": "boom"}
    assert outcome.event.action == "publication_failed"


def test_a_newer_target_while_a_job_runs_waits_for_it_then_starts_the_next_job():
    state = with_version(public(), "v2")
    running = state.publication.job_id
    state, _ = apply(state, approve(2))
    assert (state.public_ordinal, state.publication.job_id) == (2, running)
    state, outcome = publication_done(state)
    assert outcome.event.action == "publication_superseded"
    assert state.publication.status is PublicationStatus.RUNNING
    assert (state.publication.ordinal, state.publication.job_id != running) == (2, True)


def test_a_target_that_moves_back_while_the_job_runs_is_reached_by_that_job():
    state = with_version(public(), "v2")
    state, _ = apply(state, approve(2), reject(2))
    state, outcome = publication_done(state)
    assert outcome.event.action == "publication_succeeded" and state.public_ordinal == 1


def test_the_end_of_a_job_that_is_no_longer_the_asset_s_publication_changes_nothing():
    state = with_version(public(), "v2")
    old = state.publication.job_id
    state, _ = apply(state, approve(2))
    state, _ = publication_done(state)
    outcome = decide(state, finished(old))
    assert not outcome.changed and "ignored" in outcome.result


def test_a_reviewer_may_withdraw_an_approved_version_with_a_reason():
    state, outcome = apply(processed(), approve(), reject(1))
    assert outcome.ok and state.version(1).approval is Approval.REJECTED
    assert outcome.event.details["withdrawn"] is True


def test_withdrawing_an_approval_without_a_reason_is_refused_as_invalid():
    state, _ = apply(processed(), approve())
    outcome = decide(state, reject(1, reason="  "))
    assert outcome.refusal.code == "invalid"
    assert "version 1 needs a reason" in outcome.refusal.message
    assert outcome.refusal.allowed == ["reject"]


def test_withdrawing_the_published_version_unpublishes_and_leaves_the_asset_public():
    state, _ = publication_done(public())
    state, _ = apply(state, reject(1))
    assert state.clearance is Clearance.PUBLIC and state.public_ordinal is None
    assert (state.publication.kind, state.publication.ordinal) == (PublicationKind.UNPUBLISH, 1)


def test_withdrawing_the_published_version_publishes_the_older_approved_one():
    state, _ = publication_done(public(versions=2))
    state, _ = apply(state, reject(2))
    assert state.public_ordinal == 1
    assert (state.publication.kind, state.publication.ordinal) == (PublicationKind.PUBLISH, 1)


def test_withdrawing_an_approved_version_that_is_not_published_changes_no_publication():
    state, _ = publication_done(public(versions=2))
    before = state.publication
    state, outcome = apply(state, reject(1))
    assert (state.public_ordinal, state.publication) == (2, before)
    assert "publication_started" not in outcome.event.details


def test_a_public_asset_with_nothing_approved_publishes_the_next_approval():
    state, _ = publication_done(public())
    state, _ = publication_done(apply(state, reject(1))[0])  # unpublished
    more = with_version(state, "v2")
    state, _ = apply(more, approve(2))
    assert (state.public_ordinal, state.publication.kind) == (2, PublicationKind.PUBLISH)


def test_refusing_to_reject_a_rejected_version_names_its_state_and_what_is_allowed():
    state, _ = apply(processed(), approve(), reject(1))
    outcome = decide(state, reject(1))
    assert outcome.refusal.message == (
        "cannot reject version 1: version 1 is completed, approval rejected (allowed: nothing)"
    )


def test_job_start_reports_of_publication_jobs_change_nothing():
    state = public()
    outcome = decide(state, started(state.publication.job_id))
    assert not outcome.changed


def test_an_asset_public_before_publications_were_recorded_unpublishes_its_public_version():
    state, _ = publication_done(public())
    legacy = state.model_copy(update={"publication": None})  # as stored by the old machine
    state, _ = apply(legacy, clearance("cleared"))
    assert (state.publication.kind, state.publication.ordinal) == (PublicationKind.UNPUBLISH, 1)
