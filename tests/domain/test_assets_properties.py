"""Properties of the asset state machine over random command sequences (hypothesis)."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.asset_machine import decide
from domain.assets import (
    ASSET_ID_PATTERN,
    Approval,
    AssetState,
    Clearance,
    Processing,
    PublicationStatus,
    asset_id_for,
)
from domain.callbacks import EventType
from domain.outbound import outbound_for
from tests.domain import asset_support as s


def _visible(state: AssetState | None) -> dict | None:
    return None if state is None else state.model_dump(exclude={"commands"})


def _command(state: AssetState | None, choice: int, ordinal: int, ok: bool):
    """One command picked by ``choice``; job reports use the current job of a version."""
    jobs = [v.job_id for v in state.versions] if state else ["none"]
    if state is not None and state.publication is not None and state.publication.job_id:
        jobs.append(state.publication.job_id)  # publish and unpublish jobs report too
    job = jobs[ordinal % len(jobs)]
    makers = [
        lambda: s.submit(label=f"v{choice}"),
        lambda: s.started(job),
        lambda: s.finished(job, ok),
        lambda: s.indexed(job),
        lambda: s.approve(ordinal),
        lambda: s.reject(ordinal),
        lambda: s.reprocess(ordinal),
        lambda: s.clearance("cleared"),
        lambda: s.clearance("public"),
        lambda: s.delete(),
    ]
    return makers[choice % len(makers)]()


steps = st.lists(
    st.tuples(st.integers(0, 20), st.integers(1, 4), st.booleans(), st.booleans()),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_any_command_sequence_keeps_the_invariants(sequence):
    state: AssetState | None = None
    seen = []
    for choice, ordinal, ok, repeat in sequence:
        command = (
            seen[choice % len(seen)] if repeat and seen else _command(state, choice, ordinal, ok)
        )
        before, visible = state, _visible(state)
        outcome = decide(state, command)
        assert _visible(before) == visible  # never mutates its input

        if outcome.changed:
            assert outcome.state.revision == (before.revision if before else 0) + 1
            assert outcome.event.revision == outcome.state.revision
        else:
            # refused, duplicate or ignored: nothing visible changes
            assert _visible(outcome.state if outcome.state else before) == visible
        if outcome.state is not None:
            state = outcome.state
        seen.append(command)

        if state is None:
            continue
        assert sum(v.unresolved for v in state.versions) <= 1
        assert [v.ordinal for v in state.versions] == list(range(1, len(state.versions) + 1))
        approved = state.latest_approved()
        if state.clearance is Clearance.PUBLIC and approved is not None:
            assert state.public_ordinal == approved.ordinal  # its latest approved version
        else:
            assert state.public_ordinal is None
        publication = state.publication
        if publication is not None and publication.status is PublicationStatus.RUNNING:
            assert publication.revision <= state.revision  # one job at a time, its own id
        elif state.public_ordinal is not None:
            assert publication is not None and publication.aim == state.public_ordinal
        for v in state.versions:
            if v.approval is not Approval.PENDING:
                assert v.processing is Processing.COMPLETED


@settings(max_examples=150, deadline=None)
@given(steps)
def test_published_and_unpublished_are_only_announced_for_the_current_target(sequence):
    # From a public asset whose publish job runs, so that job ends race the commands.
    state: AssetState | None = s.public()
    for choice, ordinal, ok, _ in sequence:
        outcome = decide(state, _command(state, choice, ordinal, ok))
        state = outcome.state or state
        for event in outbound_for(outcome).events:
            if event.type is EventType.PUBLISHED:
                assert event.version_ordinal == state.public_ordinal is not None
            if event.type is EventType.UNPUBLISHED:
                assert state.public_ordinal is None


@settings(max_examples=100, deadline=None)
@given(steps)
def test_repeating_any_applied_command_returns_its_first_answer(sequence):
    state: AssetState | None = None
    answers = {}
    for choice, ordinal, ok, _ in sequence:
        command = _command(state, choice, ordinal, ok)
        outcome = decide(state, command)
        state = outcome.state or state
        if state is not None and command.command_id in state.commands:
            answers[command.command_id] = (command, outcome)
    for command, first in answers.values():
        again = decide(state, command)
        assert again.duplicate
        assert (again.ok, again.revision, again.result) == (first.ok, first.revision, first.result)
        assert again.state.revision == state.revision


identity_values = st.text(min_size=0, max_size=30)


@given(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), identity_values, identity_values)
def test_asset_id_is_deterministic_url_safe_and_separates_identities(platform, a, b):
    fields = ["dataset_id", "resource_id"]
    one = asset_id_for(platform, fields, {"dataset_id": a, "resource_id": b})
    assert one == asset_id_for(platform, fields, {"resource_id": b, "dataset_id": a})
    assert re.fullmatch(ASSET_ID_PATTERN, one)
    if a != b:
        assert one != asset_id_for(platform, fields, {"dataset_id": b, "resource_id": a})
