"""Timeline writes around durable waits, replayed by the real SDK against recorded histories:
a job about to wait writes what it decided before, even while an earlier write is in flight
(`domain.timeline_writes`), and a job recorded by revision 1 replays as it was recorded."""

from __future__ import annotations

from pathlib import Path

from domain.decisions import BatchStartMessage, RunLightTask
from domain.jobs import EngineOptions
from domain.models import RetryPolicy
from domain.tasks import TaskId, TaskResult
from tests.orchestrations.test_job_orchestrator import WORKFLOW, completed, start_job, written
from tests.support.replay import Episode, Replay, work_input

HISTORIES = Path(__file__).resolve().parent / "histories"
APPROVAL = (Path(__file__).resolve().parents[1] / "engine/workflows/approval_test.yaml").read_text()
RETRIED = """\
workflow_id: retried
version: 1
defaults: {queue: light, retry: {max_attempts: 2, initial_interval: 30s}}
nodes:
  - {id: start, type: start}
  - {id: flaky, type: task, handler: echo, depends_on: [start]}
  - {id: end, type: end, depends_on: [flaky]}
"""


def written_kinds(episode: Episode) -> list[tuple[str, str | None]]:
    [write] = episode.scheduled("record_events")
    return [(e["kind"], e["node_id"]) for e in work_input(write)["events"]]


def failed(node_id: str) -> dict:
    task_id = TaskId(job_id="job-1", node_id=node_id, attempt=1)
    return TaskResult.failed(task_id, "flaky", "try again", retryable=True).model_dump(mode="json")


def test_an_approval_reached_while_a_write_is_in_flight_is_written_before_the_wait():
    replay = start_job(APPROVAL)
    first = replay.run()
    replay.complete(first.scheduled("run_handler")[0], completed("prepare", 1, {"ok": True}))

    second = replay.run()  # prepare done before the first write: wait for that write
    assert second.new_work == []
    written(replay, first)
    third = replay.run()

    assert len(third.timers()) == 1  # the approval's timeout, scheduled with the write
    assert written_kinds(third) == [
        ("node.completed", "prepare"),
        ("node.ready", "review"),
        ("node.waiting", "review"),
    ]


def test_a_retry_back_off_reached_while_a_write_is_in_flight_is_written_before_the_timer():
    replay = start_job(RETRIED)
    first = replay.run()
    replay.complete(first.scheduled("run_handler")[0], failed("flaky"))
    assert replay.run().new_work == []
    written(replay, first)

    third = replay.run()

    assert len(third.timers()) == 1  # the back-off
    assert written_kinds(third) == [("node.retrying", "flaky")]


def test_a_heavy_dispatch_does_not_wait_for_the_write_in_flight():
    replay = start_job(WORKFLOW)
    first = replay.run()
    replay.complete(first.scheduled("run_handler")[0], completed("light", 1, {"n": 1}))

    second = replay.run()

    assert len(second.scheduled("dispatch_task")) == 1  # an activity: the host moves on
    assert second.scheduled("record_events") == []  # the buffer waits for the first write


def test_a_batch_child_back_off_is_written_before_the_timer():
    start = BatchStartMessage(
        job_id="job-1",
        batch_id="fan@0",
        children=[RunLightTask(node_id="fan[0]", attempt=1, handler="echo")],
        retry=RetryPolicy(max_attempts=2, initial_interval="30s"),
        max_parallel=1,
        seq_base=10,
        seq_span=6,
        engine=EngineOptions(orchestrator_revision=2),
    )
    replay = Replay("fan_out_batch", start.model_dump(mode="json"), instance_id="job-1.fan@0")
    first = replay.run()
    replay.complete(first.scheduled("run_handler")[0], failed("fan[0]"))
    assert replay.run().new_work == []
    written(replay, first)

    third = replay.run()

    assert len(third.timers()) == 1
    assert written_kinds(third) == [("node.retrying", "fan[0]")]


def test_a_job_recorded_by_revision_1_waiting_for_approval_replays_and_finishes():
    replay = Replay.load(HISTORIES / "approval_waiting_revision_1.json")
    replay.raise_event("publish_ok", {"approved": True, "by": "ana"})

    after = replay.run()  # raises if the replay scheduled other work than the history holds

    assert [w.name for w in after.new_work] == ["record_events"]  # revision 1's held write
    assert written_kinds(after)[-1] == ("node.waiting", "review")
    written(replay, after)
    last = replay.settle(replay.run(), "record_events", 1)
    last = replay.settle(last, "run_handler", completed("publish", 1, {"approved_by": "ana"}))
    last = replay.settle(last, "record_events", 1)
    assert last.done and last.error is None, last.error
    assert last.output["result"] == {"approved_by": "ana"}
