from datetime import UTC, datetime, timedelta

from console.gantt import gantt
from domain.events import EventKind as K
from domain.events import JobEvent

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _event(seq: int, kind: K, node: str | None = None, attempt: int | None = None, **data):
    at = T0 + timedelta(seconds=seq)
    return JobEvent(job_id="j", seq=seq, kind=kind, at=at, node_id=node, attempt=attempt, data=data)


def _phases(chart, node_id):
    (row,) = [r for r in chart.rows if r.node_id == node_id]
    return [(b.phase, b.attempt, b.outcome, b.seconds) for b in row.bars]


def test_a_retried_timeout_shows_both_attempts_and_the_back_off_wait_between():
    timeout = {"kind": "timeout", "message": "attempt 1 timed out after 1s"}
    events = [
        _event(0, K.JOB_STARTED),
        _event(1, K.NODE_DISPATCHED, "slow", 1),
        _event(2, K.NODE_RETRYING, "slow", 1, error=timeout, next_attempt=2, delay_seconds=3),
        _event(5, K.NODE_DISPATCHED, "slow", 2),
        _event(6, K.NODE_TIMED_OUT, "slow", 2, error=timeout),
        _event(7, K.JOB_FAILED),
    ]
    chart = gantt(events, now=T0 + timedelta(hours=1))
    assert _phases(chart, "slow") == [
        ("running", 1, "timed_out", 1.0),
        ("backoff", 2, "", 3.0),
        ("running", 2, "timed_out", 1.0),
    ]
    assert chart.end == T0 + timedelta(seconds=7)  # a finished job's chart ends with it


def test_an_unfinished_attempt_runs_until_now_and_an_approval_shows_its_wait():
    events = [
        _event(0, K.JOB_STARTED),
        _event(1, K.NODE_READY, "tile", None),
        _event(3, K.NODE_DISPATCHED, "tile", 1),
        _event(4, K.NODE_WAITING, "review", None),
    ]
    chart = gantt(events, now=T0 + timedelta(seconds=10))
    assert _phases(chart, "tile") == [("queued", None, "", 2.0), ("running", 1, None, 7.0)]
    assert _phases(chart, "review") == [("waiting", None, None, 6.0)]
    assert chart.fraction(T0 + timedelta(seconds=5)) == 0.5


def test_rows_beyond_the_limit_are_counted_not_drawn():
    events = [_event(i, K.NODE_DISPATCHED, f"n{i}", 1) for i in range(5)]
    chart = gantt(events, now=T0 + timedelta(seconds=9), max_rows=3)
    assert [r.node_id for r in chart.rows] == ["n0", "n1", "n2"]
    assert chart.hidden_rows == 2


def test_a_heavy_attempt_is_queued_until_the_worker_starts_it():
    events = [
        _event(0, K.JOB_STARTED),
        _event(1, K.NODE_DISPATCHED, "tile", 1, queue="heavy"),
        _event(4, K.NODE_RUNNING, "tile", 1, delivery=1),
        _event(6, K.NODE_COMPLETED, "tile", 1),
        _event(7, K.NODE_DISPATCHED, "mosaic", 1, queue="heavy"),  # still in the queue
    ]
    chart = gantt(events, now=T0 + timedelta(seconds=10))
    assert _phases(chart, "tile") == [("queued", 1, "", 3.0), ("running", 1, "completed", 2.0)]
    assert _phases(chart, "mosaic") == [("queued", 1, None, 3.0)]


def test_a_finished_heavy_attempt_without_a_running_event_ran_from_its_dispatch():
    events = [  # recorded before workers reported starts
        _event(0, K.JOB_STARTED),
        _event(1, K.NODE_DISPATCHED, "tile", 1, queue="heavy"),
        _event(6, K.NODE_COMPLETED, "tile", 1),
        _event(7, K.JOB_COMPLETED),
    ]
    chart = gantt(events, now=T0 + timedelta(seconds=10))
    assert _phases(chart, "tile") == [("running", 1, "completed", 5.0)]
