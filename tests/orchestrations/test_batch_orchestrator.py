"""The fan-out batch sub-orchestration, replayed by the real SDK: at most `max_parallel`
children in flight, each child's retries from the node's policy, one outcome per child."""

from __future__ import annotations

from domain.decisions import BatchStartMessage, RunLightTask
from domain.models import RetryPolicy
from domain.tasks import TaskId, TaskResult
from tests.support.replay import Replay, work_input


def start_batch(children: int, max_parallel: int) -> Replay:
    start = BatchStartMessage(
        job_id="job-1",
        batch_id="fan@0",
        children=[
            RunLightTask(node_id=f"fan[{i}]", attempt=1, handler="echo", params={"i": i})
            for i in range(children)
        ],
        retry=RetryPolicy(max_attempts=1),
        max_parallel=max_parallel,
        seq_base=10,
        seq_span=children * 3,
    )
    return Replay("fan_out_batch", start.model_dump(mode="json"), instance_id="job-1.fan@0")


def result(node_id: str, *, ok: bool) -> dict:
    task_id = TaskId(job_id="job-1", node_id=node_id, attempt=1)
    if ok:
        return TaskResult.completed(task_id, {"node": node_id}).model_dump(mode="json")
    return TaskResult.failed(task_id, "corrupt", "bad tile", retryable=False).model_dump(
        mode="json"
    )


def test_children_beyond_max_parallel_wait_for_a_free_slot():
    replay = start_batch(children=3, max_parallel=2)
    first = replay.run()

    running = [work_input(w)["task_id"]["node_id"] for w in first.scheduled("run_handler")]
    assert running == ["fan[0]", "fan[1]"]
    replay.complete(first.scheduled("run_handler")[0], result("fan[0]", ok=True))
    second = replay.run()
    assert [work_input(w)["task_id"]["node_id"] for w in second.scheduled("run_handler")] == [
        "fan[2]"
    ]


def test_the_batch_returns_one_outcome_per_child_in_order_with_its_own_event_numbers():
    replay = start_batch(children=2, max_parallel=2)
    first = replay.run()
    [write] = first.scheduled("record_events")
    assert work_input(write)["events"][0]["seq"] == 10
    replay.complete_all(first, "record_events", 1)
    zero, one = first.scheduled("run_handler")
    replay.complete(zero, result("fan[0]", ok=True))
    replay.complete(one, result("fan[1]", ok=False))

    last = replay.settle(replay.run(), "record_events", 1)

    assert last.done and last.error is None
    outcomes = [(o["node_id"], o["status"]) for o in last.output["outcomes"]]
    assert outcomes == [("fan[0]", "completed"), ("fan[1]", "failed")]
    assert last.output["outcomes"][1]["error"]["kind"] == "corrupt"
