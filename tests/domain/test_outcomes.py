"""`domain.outcomes`: what a finished durable task means to the evaluator."""

import json

from domain.decisions import (
    BatchStartMessage,
    NodeCompleted,
    NodeFailed,
    RunHeavyTask,
    RunLightTask,
    RunSubWorkflow,
    WaitForApproval,
)
from domain.jobs import ChildJobRecord, EngineOptions, JobStartMessage
from domain.loader import load_workflow_text
from domain.models import RetryPolicy
from domain.outcomes import (
    approval_received,
    attempt_timed_out,
    batch_failed,
    cancel_requested,
    start_sub_workflow,
    sub_workflow_completed,
    task_outcome,
)
from domain.snapshot import pin
from domain.tasks import TaskId, TaskResult

TASK = RunHeavyTask(node_id="tile", attempt=2, handler="cog_tile")
TASK_ID = TaskId(job_id="job-1", node_id="tile", attempt=2)

PARENT = """\
workflow_id: parent
version: 1
nodes:
  - {id: start, type: start}
  - {id: child, type: sub_workflow, workflow_id: child, version: 1, depends_on: [start]}
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


def test_a_completed_task_result_completes_the_attempt_with_its_output():
    raw = TaskResult.completed(TASK_ID, {"n": 1}).model_dump(mode="json")
    assert task_outcome(TASK, raw) == NodeCompleted(node_id="tile", attempt=2, output={"n": 1})


def test_a_double_encoded_task_event_is_read_like_a_plain_one():
    raw = TaskResult.completed(TASK_ID, {"n": 1}).model_dump(mode="json")
    assert task_outcome(TASK, json.dumps(raw)) == task_outcome(TASK, raw)


def test_a_failed_task_result_keeps_its_classified_error():
    raw = TaskResult.failed(TASK_ID, "corrupt_raster", "bad", retryable=False)
    outcome = task_outcome(TASK, raw.model_dump(mode="json"))
    assert isinstance(outcome, NodeFailed)
    assert (outcome.error.kind, outcome.error.retryable) == ("corrupt_raster", False)


def test_an_unreadable_task_result_fails_the_attempt_as_bad_task_result():
    outcome = task_outcome(TASK, {"status": "maybe"})
    assert isinstance(outcome, NodeFailed) and outcome.error.kind == "bad_task_result"


def test_a_timed_out_attempt_fails_retryably_and_says_after_how_long():
    light = RunLightTask(node_id="a", attempt=3, handler="echo", timeout_seconds=30)
    failed = attempt_timed_out(light, 30)
    assert failed.timed_out and failed.error.retryable
    assert failed.error.message == "attempt 3 timed out after 30s"


def test_an_approval_event_says_who_approved_and_why():
    wait = WaitForApproval(node_id="ok", attempt=1, event_name="approval:ok")
    received = approval_received(wait, '{"approved": true, "by": "ana", "reason": "fine"}')
    assert (received.approved, received.by, received.reason) == (True, "ana", "fine")


def test_an_approval_event_that_is_not_a_dict_does_not_approve():
    wait = WaitForApproval(node_id="ok", attempt=1, event_name="approval:ok")
    assert approval_received(wait, "yes").approved is False


def test_a_cancel_event_carries_who_and_why():
    cancel = cancel_requested({"by": "ops", "reason": "wrong file"})
    assert (cancel.by, cancel.reason) == ("ops", "wrong file")


def pinned_parent():
    child = load_workflow_text(CHILD)
    return pin(load_workflow_text(PARENT), lambda *_: child)


def test_sub_workflow_inputs_that_fit_start_a_child_job_named_after_the_node_and_attempt():
    d = RunSubWorkflow(node_id="child", attempt=2, workflow_id="child", inputs={"n": 3})
    start = start_sub_workflow(
        d, pinned_parent(), job_id="job-1", asset_id="a-1", engine=EngineOptions()
    )
    assert isinstance(start, JobStartMessage)
    assert (start.job_id, start.parent_job_id, start.asset_id) == ("job-1.child.2", "job-1", "a-1")
    assert start.inputs == {"n": 3}


def test_sub_workflow_inputs_that_do_not_fit_fail_the_node_for_good_naming_the_input():
    d = RunSubWorkflow(node_id="child", attempt=1, workflow_id="child", inputs={})
    failed = start_sub_workflow(
        d, pinned_parent(), job_id="job-1", asset_id=None, engine=EngineOptions()
    )
    assert isinstance(failed, NodeFailed)
    assert (failed.error.kind, failed.error.retryable) == ("invalid_inputs", False)
    assert "sub-workflow 'child'" in failed.error.message and "n" in failed.error.message


def test_a_sub_workflow_node_outputs_the_child_jobs_result_without_its_provenance():
    d = RunSubWorkflow(node_id="child", attempt=1, workflow_id="child")
    done = sub_workflow_completed(d, {"result": {"x": 1}, "provenance": {"job_id": "c"}})
    assert done.output == {"x": 1}


def test_a_failed_batch_fails_each_of_its_children_for_good():
    children = [RunLightTask(node_id=f"fan[{i}]", attempt=1, handler="echo") for i in range(2)]
    batch = BatchStartMessage(
        job_id="job-1",
        batch_id="fan@0",
        children=children,
        retry=RetryPolicy(),
        max_parallel=1,
        seq_base=10,
        seq_span=6,
    )
    finished = batch_failed(batch, "boom")
    assert [(o.node_id, o.status) for o in finished.result.outcomes] == [
        ("fan[0]", "failed"),
        ("fan[1]", "failed"),
    ]
    assert all(o.error and o.error.kind == "batch_failed" for o in finished.result.outcomes)


def test_the_catalog_row_of_a_sub_workflow_job_comes_from_its_start_record():
    d = RunSubWorkflow(node_id="child", attempt=1, workflow_id="child", inputs={"n": 3})
    start = start_sub_workflow(
        d, pinned_parent(), job_id="job-1", asset_id="a-1", engine=EngineOptions()
    )
    assert isinstance(start, JobStartMessage)
    row = ChildJobRecord.of(start)
    assert (row.job_id, row.workflow_id, row.workflow_version) == ("job-1.child.1", "child", 1)
    assert (row.workflow_hash, row.asset_id, row.parent_job_id) == (
        start.workflow.hash,
        "a-1",
        "job-1",
    )
    assert row.inputs == {"n": 3}
