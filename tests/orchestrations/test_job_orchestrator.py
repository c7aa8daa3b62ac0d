"""The job orchestrator, replayed by the real SDK against recorded histories: what it
schedules for each decision, and how what comes back moves the job on."""

from __future__ import annotations

from typing import Any

from domain.jobs import ORCHESTRATOR_REVISION, EngineOptions, JobStartMessage
from domain.loader import load_workflow_text
from domain.snapshot import pin
from domain.tasks import TaskId, TaskResult, TaskStarted
from tests.support.replay import Episode, Replay, work_input

WORKFLOW = """\
workflow_id: replayed
version: 1
defaults: {queue: light, retry: {max_attempts: 2, initial_interval: 10s}}
nodes:
  - {id: start, type: start}
  - {id: light, type: task, handler: echo, depends_on: [start], params: {n: 1}}
  - {id: heavy, type: task, handler: echo, queue: heavy, depends_on: [light], timeout: 60s}
  - {id: end, type: end, depends_on: [heavy], result: "{{ nodes.heavy.output }}"}
"""


def start_job(text: str = WORKFLOW, revision: int = ORCHESTRATOR_REVISION) -> Replay:
    """A job of the workflow ``text``, started as new jobs are (``revision``)."""
    pinned = pin(load_workflow_text(text), lambda *_: None)
    engine = EngineOptions(orchestrator_revision=revision)
    start = JobStartMessage(job_id="job-1", workflow=pinned, inputs={}, engine=engine)
    return Replay("job_orchestrator", start.model_dump(mode="json"))


def completed(node_id: str, attempt: int, output: Any) -> dict[str, Any]:
    task_id = TaskId(job_id="job-1", node_id=node_id, attempt=attempt)
    return TaskResult.completed(task_id, output).model_dump(mode="json")


def written(replay: Replay, episode: Episode) -> None:
    """Every timeline write of ``episode`` succeeded."""
    replay.complete_all(episode, "record_events", 1)


def test_the_first_episode_runs_the_first_light_node_and_records_its_events():
    replay = start_job()
    first = replay.run()

    [run] = first.scheduled("run_handler")
    message = work_input(run)
    assert message["task_id"] == {"job_id": "job-1", "node_id": "light", "attempt": 1}
    assert (message["handler"], message["params"]) == ("echo", {"n": 1})
    [write] = first.scheduled("record_events")
    assert [e["kind"] for e in work_input(write)["events"]][:2] == ["job.started", "node.ready"]
    assert first.custom_status["running"] == ["light"]
    assert not first.done


def test_a_completed_light_node_dispatches_the_heavy_one_and_waits_for_its_event():
    replay = start_job()
    first = replay.run()
    written(replay, first)
    replay.complete(first.scheduled("run_handler")[0], completed("light", 1, {"n": 1}))

    second = replay.run()

    [sent] = second.scheduled("dispatch_task")
    message = work_input(sent)
    assert message["reply_to"] == {
        "instance_id": "job-1",
        "event_name": "task:heavy:1",
        "task_hub": None,
        "started_event_name": "task:heavy:1:started",
    }
    assert message["timeout_seconds"] == 60
    assert len(second.timers()) == 1  # the node's timeout, raced against the event


def test_the_heavy_result_event_completes_the_job_with_its_output_and_provenance():
    replay = start_job()
    first = replay.run()
    written(replay, first)
    replay.complete(first.scheduled("run_handler")[0], completed("light", 1, {"n": 1}))
    second = replay.run()
    written(replay, second)
    replay.complete(second.scheduled("dispatch_task")[0], "job-1/heavy/1")
    replay.raise_event("task:heavy:1", completed("heavy", 1, {"tiles": 4}))

    last = replay.settle(replay.run(), "record_events", 1)

    assert last.done and last.error is None
    assert last.output["status"] == "completed"
    assert last.output["result"] == {"tiles": 4}
    assert last.output["provenance"]["workflow_id"] == "replayed"


def test_the_started_event_of_a_heavy_task_records_it_running_until_its_result():
    replay = start_job()
    first = replay.run()
    written(replay, first)
    replay.complete(first.scheduled("run_handler")[0], completed("light", 1, {"n": 1}))
    second = replay.run()
    written(replay, second)
    replay.complete(second.scheduled("dispatch_task")[0], "job-1/heavy/1")
    task_id = TaskId(job_id="job-1", node_id="heavy", attempt=1)
    replay.raise_event("task:heavy:1:started", TaskStarted(task_id=task_id).model_dump())

    third = replay.run()

    [write] = third.scheduled("record_events")
    events = work_input(write)["events"]
    assert [(e["kind"], e["node_id"], e["attempt"]) for e in events] == [
        ("node.running", "heavy", 1)
    ]
    assert third.custom_status["counts"]["running"] == 1
    written(replay, third)
    replay.raise_event("task:heavy:1", completed("heavy", 1, {"tiles": 4}))
    last = replay.settle(replay.run(), "record_events", 1)
    assert last.done and last.output["result"] == {"tiles": 4}


def test_a_retryable_failure_waits_on_a_durable_timer_then_runs_attempt_two():
    replay = start_job()
    first = replay.run()
    written(replay, first)
    task_id = TaskId(job_id="job-1", node_id="light", attempt=1)
    failure = TaskResult.failed(task_id, "flaky", "try again", retryable=True)
    replay.complete(first.scheduled("run_handler")[0], failure.model_dump(mode="json"))

    second = replay.run()
    assert second.scheduled("run_handler") == []
    [backoff] = second.timers()
    written(replay, second)
    replay.fire(backoff)
    third = replay.run(seconds=10)

    [again] = third.scheduled("run_handler")
    assert work_input(again)["task_id"]["attempt"] == 2


def test_a_heavy_attempt_whose_timer_wins_the_race_fails_as_timed_out():
    replay = start_job(WORKFLOW.replace("initial_interval: 10s", "non_retryable: [timeout]"))
    first = replay.run()
    written(replay, first)
    replay.complete(first.scheduled("run_handler")[0], completed("light", 1, {"n": 1}))
    second = replay.run()
    written(replay, second)
    replay.complete(second.scheduled("dispatch_task")[0], "job-1/heavy/1")
    replay.fire(second.timers()[0])

    third = replay.run(seconds=60)
    written(replay, third)
    last = replay.run()

    assert last.error is not None and "timed out after 60s" in last.error
    [write] = third.scheduled("record_events")
    kinds = [(e["kind"], e.get("node_id")) for e in work_input(write)["events"]]
    assert ("node.timed_out", "heavy") in kinds


def test_the_cancel_event_cancels_the_job_without_waiting_for_the_running_node():
    replay = start_job()
    first = replay.run()
    written(replay, first)
    replay.raise_event("cancel", {"by": "ops", "reason": "wrong file"})

    last = replay.settle(replay.run(), "record_events", 1)

    assert last.done and last.output["status"] == "cancelled"


PARENT = """\
workflow_id: parent
version: 1
nodes:
  - {id: start, type: start}
  - {id: child, type: sub_workflow, workflow_id: child, version: 1, depends_on: [start],
     inputs: {n: N}}
  - {id: end, type: end, depends_on: [child]}
"""
CHILD = """\
workflow_id: child
version: 1
defaults: {queue: light}
inputs:
  n: {type: integer, required: true}
nodes:
  - {id: start, type: start}
  - {id: a, type: task, handler: echo, depends_on: [start]}
  - {id: end, type: end, depends_on: [a]}
"""


def start_parent(n: str) -> Replay:
    child = load_workflow_text(CHILD)
    pinned = pin(load_workflow_text(PARENT.replace("N", n)), lambda *_: child)
    start = JobStartMessage(job_id="job-1", workflow=pinned, inputs={}, asset_id="asset-7")
    return Replay("job_orchestrator", start.model_dump(mode="json"))


def past_asset_report(replay: Replay) -> Episode:
    """A job of an asset first reports its start to the asset; the episode after that."""
    [report] = replay.run().scheduled("asset_command")
    replay.complete(report, {})
    return replay.run()


def test_a_sub_workflow_runs_as_a_child_job_named_after_the_node_and_attempt():
    first = past_asset_report(start_parent("3"))

    [child] = first.scheduled("job_orchestrator")
    assert child.instance_id == "job-1.child.1"
    start = work_input(child)
    assert (start["inputs"], start["parent_job_id"], start["asset_id"]) == (
        {"n": 3},
        "job-1",
        "asset-7",
    )


def test_a_sub_workflow_with_inputs_that_do_not_fit_fails_without_starting_a_child():
    replay = start_parent('"three"')
    first = past_asset_report(replay)
    assert first.scheduled("job_orchestrator") == []

    last = replay.settle(first, "record_events", 1)
    last = replay.settle(last, "asset_command", {})  # the failure's report to the asset

    assert last.error is not None and "inputs of sub-workflow 'child'" in last.error
