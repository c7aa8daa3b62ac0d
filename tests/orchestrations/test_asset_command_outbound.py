"""asset_command's outbound calls, replayed by the real SDK: callback events are recorded
before a publication job starts, an outcome of the previous machine keeps its old order, and
a publication job that cannot start is reported to the asset as failed."""

from __future__ import annotations

from typing import Any

from domain.asset_flow import AssetCommandInput
from domain.assets import Outcome
from tests.domain.asset_support import apply, delete, public, publication_done
from tests.support.replay import Episode, Replay, work_input


def _deleted_public_asset() -> Outcome:
    state, _ = publication_done(public())
    _, outcome = apply(state, delete())
    return outcome


def _answered(outcome: Outcome) -> tuple[Replay, Episode]:
    """asset_command for ``outcome``'s command, the entity answered, the projection done."""
    message = AssetCommandInput(asset_id=outcome.state.asset_id, command=delete())
    replay = Replay("asset_command", message.model_dump(mode="json"), "asset-cmd-1")
    [call] = replay.run().scheduled("command")
    replay.answer_entity(call, outcome.model_dump(mode="json"))
    [project] = replay.run().scheduled("project_asset")
    replay.complete(project, True)
    return replay, replay.run()


def _names(episode: Episode) -> list[str]:
    return [w.name for w in episode.new_work if w.name]


def test_the_events_are_recorded_before_the_publication_job_starts():
    replay, first = _answered(_deleted_public_asset())
    assert _names(first) == ["emit_callbacks"]
    replay.complete(first.scheduled("emit_callbacks")[0], 1)
    [start] = replay.run().scheduled("start_publication")
    assert work_input(start)["workflow_id"] == "unpublish_asset"


def test_an_outcome_of_the_previous_machine_starts_the_job_first_as_it_did():
    outcome = _deleted_public_asset()
    details: dict[str, Any] = {"clearance_was": "public", "unpublished_ordinal": 1}
    legacy = outcome.model_copy(
        update={"event": outcome.event.model_copy(update={"details": details})}
    )
    replay, first = _answered(legacy)
    assert _names(first) == ["start_publication"]
    replay.complete(first.scheduled("start_publication")[0], "job")
    assert _names(replay.run()) == ["emit_callbacks"]


def test_a_publication_job_that_cannot_start_is_reported_to_the_asset_as_failed():
    outcome = _deleted_public_asset()
    replay, first = _answered(outcome)
    replay.complete(first.scheduled("emit_callbacks")[0], 1)
    [start] = replay.run().scheduled("start_publication")
    for _ in range(5):  # the activity's attempts, a retry timer after each failure
        replay.fail(start, "inputs.asset_id: refused")
        [retry] = replay.run().timers()
        replay.fire(retry)
        episode = replay.run()
        if not episode.scheduled("start_publication"):
            break
        [start] = episode.scheduled("start_publication")
    [report] = episode.scheduled("asset_command")
    job_id = outcome.state.publication.job_id
    assert report.instance_id == f"{job_id}:asset:job_finished"
    command = work_input(report)["command"]
    assert (command["kind"], command["job_id"], command["ok"]) == ("job_finished", job_id, False)
    assert command["error"]["kind"] == "not_started"
    assert "refused" in command["error"]["message"]
