"""A job of an asset reports its start and its end to the asset (`asset_command`), replayed
by the real SDK against recorded histories."""

from __future__ import annotations

from domain.jobs import JobStartMessage
from domain.loader import load_workflow_text
from domain.snapshot import pin
from domain.tasks import TaskId, TaskResult
from tests.orchestrations.test_job_orchestrator import written
from tests.support.replay import Episode, Replay, work_input

WORKFLOW = """\
workflow_id: reported
version: 1
defaults: {queue: light, retry: {max_attempts: 1}}
nodes:
  - {id: start, type: start}
  - {id: light, type: task, handler: echo, depends_on: [start], params: {n: 1}}
  - {id: end, type: end, depends_on: [light], result: "{{ nodes.light.output }}"}
"""


def start_job(asset_id: str | None = "ddh-1", parent: str | None = None) -> Replay:
    pinned = pin(load_workflow_text(WORKFLOW), lambda *_: None)
    start = JobStartMessage(
        job_id="job-1", workflow=pinned, asset_id=asset_id, parent_job_id=parent
    )
    return Replay("job_orchestrator", start.model_dump(mode="json"))


def run_light_node(replay: Replay, episode: Episode, ok: bool = True) -> Episode:
    """Answer the light node (its output, or a non-retryable failure), write the events."""
    [task] = episode.scheduled("run_handler")
    written(replay, episode)
    task_id = TaskId(job_id="job-1", node_id="light", attempt=1)
    if ok:
        result = TaskResult.completed(task_id, {"n": 1})
    else:
        result = TaskResult.failed(task_id, "bad", "no", retryable=False)
    replay.complete(task, result.model_dump(mode="json"))
    return replay.settle(replay.run(), "record_events", 1)


def test_a_job_of_an_asset_reports_its_start_before_any_node_runs():
    first = start_job().run()

    [report] = first.scheduled("asset_command")
    assert first.scheduled("run_handler") == []
    assert report.instance_id == "job-1:asset:job_started"
    message = work_input(report)
    assert message["asset_id"] == "ddh-1"
    assert message["command"] == {
        **message["command"],
        "kind": "job_started",
        "job_id": "job-1",
        "command_id": "job-1:started",
    }


def test_its_end_is_reported_with_the_outputs_before_the_job_completes():
    replay = start_job()
    [started] = replay.run().scheduled("asset_command")
    replay.complete(started, {})
    last = run_light_node(replay, replay.run())

    [report] = last.scheduled("asset_command")
    assert not last.done
    command = work_input(report)["command"]
    assert (command["kind"], command["ok"], command["outputs"]) == (
        "job_finished",
        True,
        {"keys": ["n"]},
    )
    replay.complete(report, {})
    assert replay.run().output["status"] == "completed"


def test_a_failed_job_reports_its_error_and_still_fails():
    replay = start_job()
    [started] = replay.run().scheduled("asset_command")
    replay.complete(started, {})
    last = run_light_node(replay, replay.run(), ok=False)

    [report] = last.scheduled("asset_command")
    command = work_input(report)["command"]
    assert (command["ok"], command["error"]["message"]) == (False, "node 'light' failed: no")
    replay.fail(report, "asset catalog down")
    assert "failed" in (replay.run().error or "")  # the job's own outcome stands


def test_a_failing_start_report_does_not_stop_the_job():
    replay = start_job()
    [started] = replay.run().scheduled("asset_command")
    replay.fail(started, "entity unavailable")
    assert replay.run().scheduled("run_handler")


def test_jobs_without_an_asset_and_sub_workflow_jobs_report_nothing():
    assert start_job(asset_id=None).run().scheduled("asset_command") == []
    child = start_job(parent="parent-job").run()
    assert child.scheduled("asset_command") == [] and child.scheduled("run_handler")
