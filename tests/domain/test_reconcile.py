"""The catalog learns that a job's instance ended without the orchestrator saying so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.events import EventKind
from domain.reconcile import RECONCILED_SEQ, InstanceStatus, OpenNode, reconcile
from domain.status import JobStatus

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
JUST_NOW = NOW - timedelta(seconds=10)
LONG_AGO = NOW - timedelta(hours=1)


def _decide(status: JobStatus, runtime: str | None, output: object = None, created=LONG_AGO):
    """The job's own event, or None."""
    instance = InstanceStatus(runtime_status=runtime, output=output)
    events = reconcile("j1", status, created, instance, NOW)
    assert len(events) <= 1
    return events[0] if events else None


def test_a_terminated_instance_cancels_its_running_job_with_the_reason() -> None:
    event = _decide(JobStatus.RUNNING, "Terminated", "ops said stop")
    assert event is not None
    assert (event.kind, event.seq, event.at) == (EventKind.JOB_CANCELLED, RECONCILED_SEQ, NOW)
    assert event.data == {
        "by": "durable",
        "reason": "the Durable instance was terminated: ops said stop",
    }


def test_an_instance_failed_outside_the_orchestrator_fails_its_job() -> None:
    event = _decide(JobStatus.CREATED, "Failed", "Orchestrator function 'job' failed: boom")
    assert event is not None and event.kind is EventKind.JOB_FAILED
    assert event.data["error"]["kind"] == "orchestration_failed"
    assert "boom" in event.data["error"]["message"]


def test_a_running_instance_leaves_the_job_alone() -> None:
    for runtime in ("Running", "Pending", "Suspended", "ContinuedAsNew"):
        assert _decide(JobStatus.RUNNING, runtime) is None


def test_a_final_job_is_never_changed() -> None:
    assert _decide(JobStatus.COMPLETED, "Terminated") is None
    assert _decide(JobStatus.CANCELLED, "Failed") is None


def test_a_running_job_whose_instance_is_gone_fails_after_the_grace_period() -> None:
    assert _decide(JobStatus.RUNNING, None, created=JUST_NOW) is None
    event = _decide(JobStatus.RUNNING, None, created=LONG_AGO)
    assert event is not None and event.data["error"]["kind"] == "instance_missing"


def test_a_completed_instance_is_left_to_the_orchestrator_s_own_events() -> None:
    assert _decide(JobStatus.RUNNING, "Completed") is None


def test_the_unfinished_nodes_are_cancelled_before_the_job_ends() -> None:
    instance = InstanceStatus(runtime_status="Terminated", output="stop")
    open_nodes = [OpenNode(node_id="review", attempt=1), OpenNode(node_id="cog", attempt=2)]
    events = reconcile("j1", JobStatus.RUNNING, LONG_AGO, instance, NOW, open_nodes)
    assert [(e.kind, e.node_id, e.attempt, e.seq) for e in events] == [
        (EventKind.NODE_CANCELLED, "cog", 2, RECONCILED_SEQ),
        (EventKind.NODE_CANCELLED, "review", 1, RECONCILED_SEQ + 1),
        (EventKind.JOB_CANCELLED, None, None, RECONCILED_SEQ + 2),
    ]


def test_a_job_never_started_is_left_for_its_resubmission_to_start() -> None:
    assert _decide(JobStatus.CREATED, None, created=LONG_AGO) is None
