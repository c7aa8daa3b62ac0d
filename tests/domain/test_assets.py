"""The asset state machine (`domain.assets.decide`): versions, review, clearance, deletion."""

import re

import pytest

from domain.asset_machine import decide
from domain.assets import (
    ASSET_ID_PATTERN,
    COMMAND,
    REMEMBERED_COMMANDS,
    Approval,
    Clearance,
    Processing,
    asset_id_for,
)
from tests.domain.asset_support import (
    FIELDS,
    IDENTITY,
    apply,
    approve,
    clearance,
    delete,
    finished,
    processed,
    reject,
    reprocess,
    started,
    submit,
)


def test_asset_id_is_url_safe_and_ignores_fields_outside_the_identity():
    one = asset_id_for("ddh", FIELDS, IDENTITY)
    assert re.fullmatch(ASSET_ID_PATTERN, one)
    assert asset_id_for("ddh", FIELDS, {**IDENTITY, "version_id": "v9"}) == one
    assert asset_id_for("ddh", FIELDS, {**IDENTITY, "resource_id": "r2"}) != one
    assert asset_id_for("other", FIELDS, IDENTITY) != one


def test_first_submission_creates_the_asset_with_version_1_queued_at_revision_1():
    command = submit()
    outcome = decide(None, command)

    assert outcome.ok and outcome.changed
    assert outcome.revision == 1 == outcome.state.revision
    assert outcome.result == {"ordinal": 1, "job_id": command.job_id}
    version = outcome.state.version(1)
    assert (version.processing, version.approval) == (Processing.QUEUED, Approval.PENDING)
    assert outcome.event.action == "submitted" and outcome.event.by == "ana"


def test_decide_never_mutates_the_state_it_is_given():
    state = processed()
    before = state.model_dump()
    decide(state, approve())
    assert state.model_dump() == before


def test_a_duplicate_command_id_returns_the_first_result_and_changes_nothing():
    state = processed()
    command = approve()
    state, first = apply(state, command)
    again = decide(state, command)

    assert again.duplicate and not again.changed
    assert (again.ok, again.revision, again.result) == (first.ok, first.revision, first.result)
    assert again.state.revision == state.revision


def test_job_reports_move_processing_queued_to_processing_to_completed_with_outputs():
    command = submit()
    state, _ = apply(None, command, started(command.job_id))
    assert state.version(1).processing is Processing.PROCESSING
    state, outcome = apply(state, finished(command.job_id))
    assert state.version(1).processing is Processing.COMPLETED
    assert state.version(1).outputs == {"stac_item_id": command.job_id}
    assert outcome.event.action == "processing_completed"


def test_a_failed_job_marks_its_version_failed_with_the_error():
    state = processed(ok=False)
    version = state.version(1)
    assert version.processing is Processing.FAILED
    assert version.error == {"message": "boom"}


def test_a_report_from_a_job_that_is_no_longer_current_changes_nothing():
    state = processed(ok=False)
    old_job = state.version(1).job_id
    state, _ = apply(state, reprocess())
    outcome = decide(state, finished(old_job))
    assert outcome.ok and not outcome.changed
    assert outcome.state.revision == state.revision
    assert "not the current job" in outcome.result["ignored"]


def test_approval_before_processing_completed_is_refused_naming_the_state():
    state, _ = apply(None, submit())
    outcome = decide(state, approve())

    assert not outcome.ok
    assert outcome.refusal.code == "conflict"
    assert "version 1 is queued, approval pending" in outcome.refusal.message
    assert outcome.refusal.current["version"]["processing"] == "queued"
    assert outcome.state.revision == state.revision


def test_a_rejected_version_cannot_be_approved_or_rejected_again():
    state, _ = apply(processed(), reject())
    for command in (approve(), reject()):
        outcome = decide(state, command)
        assert not outcome.ok and "approval rejected" in outcome.refusal.message
        assert outcome.refusal.allowed == []


def test_an_approved_version_cannot_be_approved_again_but_may_be_withdrawn():
    state, _ = apply(processed(), approve())
    assert state.version(1).approval is Approval.APPROVED
    outcome = decide(state, approve())
    assert not outcome.ok and "approval approved (allowed: reject)" in outcome.refusal.message


def test_unknown_version_is_refused_as_not_found():
    outcome = decide(processed(), approve(ordinal=7))
    assert outcome.refusal.code == "not_found" and "no version 7" in outcome.refusal.message


def test_a_new_submission_while_a_version_is_unresolved_is_refused_naming_it():
    state = processed()
    outcome = decide(state, submit(label="v2"))
    assert not outcome.ok
    assert "unresolved version 1" in outcome.refusal.message
    assert outcome.refusal.current["unresolved_version"] == 1


def test_after_review_a_new_submission_becomes_version_2():
    state, outcome = apply(processed(), reject(), submit(label="v2"))
    assert outcome.ok and outcome.result["ordinal"] == 2
    assert state.version(2).version_label == "v2"


def test_a_failed_version_does_not_block_a_new_submission():
    _, outcome = apply(processed(ok=False), submit(label="v2"))
    assert outcome.result["ordinal"] == 2


def test_reprocess_gives_the_version_a_new_queued_job_and_keeps_the_old_one_listed():
    state = processed(ok=False)
    old = state.version(1).job_id
    command = reprocess()
    state, _ = apply(state, command)
    version = state.version(1)
    assert version.processing is Processing.QUEUED and version.error is None
    assert version.jobs == [old, command.job_id]


def test_reprocess_of_a_running_or_approved_version_is_refused():
    running, _ = apply(None, submit())
    assert not decide(running, reprocess()).ok
    approved, _ = apply(processed(), approve())
    assert not decide(approved, reprocess()).ok


def test_reprocess_of_a_failed_version_is_refused_while_another_is_unresolved():
    state, _ = apply(processed(ok=False), submit(label="v2"))
    outcome = decide(state, reprocess(ordinal=1))
    assert "version 2 is unresolved" in outcome.refusal.message


def test_clearance_goes_uncleared_cleared_public_and_public_publishes_the_approved_version():
    state, _ = apply(processed(), approve(), clearance("cleared"))
    assert state.clearance is Clearance.CLEARED
    state, outcome = apply(state, clearance("public"))
    assert state.clearance is Clearance.PUBLIC and state.public_ordinal == 1
    assert outcome.event.action == "published"


def test_public_without_an_approved_version_is_refused():
    state, _ = apply(processed(), clearance("cleared"))
    outcome = decide(state, clearance("public"))
    assert "no version is approved" in outcome.refusal.message
    assert "clearance:public" not in outcome.refusal.allowed


def test_public_straight_from_uncleared_is_refused_with_what_is_allowed():
    state, _ = apply(processed(), approve())
    outcome = decide(state, clearance("public"))
    assert outcome.refusal.message.startswith("cannot set clearance public: clearance is uncleared")
    assert outcome.refusal.allowed == ["submit", "clearance:cleared", "delete"]


def test_going_back_from_public_to_cleared_unpublishes():
    state, _ = apply(processed(), approve(), clearance("cleared"), clearance("public"))
    state, outcome = apply(state, clearance("cleared"))
    assert state.public_ordinal is None and outcome.event.action == "unpublished"


def test_approving_a_new_version_of_a_public_asset_publishes_it():
    state, _ = apply(processed(), approve(), clearance("cleared"), clearance("public"))
    second = submit(label="v2")
    state, _ = apply(state, second, started(second.job_id), finished(second.job_id), approve(2))
    assert state.public_ordinal == 2


def test_soft_delete_unpublishes_and_then_only_reads_work():
    state, _ = apply(processed(), approve(), clearance("cleared"), clearance("public"))
    state, _ = apply(state, delete())
    assert state.deleted and state.clearance is Clearance.UNCLEARED
    for command in (submit(label="v2"), clearance("cleared"), delete(), reprocess()):
        outcome = decide(state, command)
        assert not outcome.ok and "deleted" in outcome.refusal.message, command.kind


def test_commands_on_an_unknown_asset_are_refused_without_creating_it():
    outcome = decide(None, approve())
    assert outcome.refusal.code == "not_found" and outcome.state is None


def test_every_change_records_who_why_and_when():
    state = processed()
    command = reject()
    _, outcome = apply(state, command)
    event = outcome.event
    assert (event.by, event.reason, event.at, event.ordinal) == (
        "ana",
        "wrong projection",
        command.at,
        1,
    )
    assert event.revision == state.revision + 1


def test_an_asset_remembers_only_its_latest_command_ids():
    state = processed()
    first = clearance("cleared")
    state, _ = apply(state, first)
    for _ in range(REMEMBERED_COMMANDS):
        state, _ = apply(state, approve(ordinal=9))  # refused, but remembered
    assert len(state.commands) == REMEMBERED_COMMANDS
    assert first.command_id not in state.commands


def test_a_version_table_is_a_safe_identifier_within_postgresql_s_63_byte_limit():
    from adapters.postgis.settings import IDENTIFIER
    from domain.assets import MAX_IDENTIFIER, asset_id_for, asset_table

    asset_id = asset_id_for("p" * 40, ["id"], {"id": "x"})  # the longest platform id
    for ordinal in (1, 99_999_999):
        table = asset_table(asset_id, ordinal)
        assert IDENTIFIER.fullmatch(table) is not None
        assert len(table.encode()) <= MAX_IDENTIFIER
        assert table.endswith(f"{asset_id.rpartition('-')[2]}_v{ordinal}")
    assert len(asset_table(asset_id, 99_999_999)) == MAX_IDENTIFIER
    with pytest.raises(ValueError, match="longer than 63 bytes"):
        asset_table(asset_id, 100_000_000)


def test_each_version_of_an_asset_has_its_own_table_and_all_share_the_asset_view():
    from domain.assets import asset_id_for, asset_table, asset_view

    asset_id = asset_id_for("ddh", ["id"], {"id": "x"})
    digest = asset_id.rpartition("-")[2]
    assert asset_view(asset_id) == f"ddh_{digest}"
    assert [asset_table(asset_id, n) for n in (1, 2)] == [f"ddh_{digest}_v1", f"ddh_{digest}_v2"]


def test_a_command_records_its_via_in_its_revision():
    _, outcome = apply(processed(), approve(1, via="reviewer"))
    assert (outcome.event.by, outcome.event.via) == ("ana", "reviewer")


def test_a_command_of_the_shape_before_via_still_decides_with_no_via():
    # As an asset_command instance started before `via` existed carries it in its input.
    old = approve(1).model_dump(mode="json", exclude={"via"})
    assert "via" not in old
    _, outcome = apply(processed(), COMMAND.validate_python(old))
    assert outcome.ok and outcome.event.action == "approved" and outcome.event.via is None
