"""The Gantt timeline of a job: one row per node, one bar per phase of each attempt.

Built from the job's timeline events alone. Phases: ``queued`` (ready; and a heavy task
from its dispatch until the worker's ``node.running``, while the attempt is unfinished or
when that event is recorded: older jobs have none), ``running`` (until the attempt ends),
``backoff`` (a retry's durable-timer wait), ``waiting`` (an approval waiting for its
event). Each bar carries how its attempt ended: ``completed``, ``failed``, ``timed_out``
(the attempt's timer won the race), ``cancelled``, ``skipped``, "" when the next phase
of the same attempt took over, or None while it runs. A zero-length queued phase (ready
and dispatched in the same step) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.events import EventKind, JobEvent

MAX_ROWS = 200
_OUTCOMES = {
    EventKind.NODE_COMPLETED: "completed",
    EventKind.NODE_FAILED: "failed",
    EventKind.NODE_TIMED_OUT: "timed_out",
    EventKind.NODE_CANCELLED: "cancelled",
    EventKind.NODE_SKIPPED: "skipped",
}
_OPENS = {
    EventKind.NODE_READY: "queued",
    EventKind.NODE_DISPATCHED: "running",
    EventKind.NODE_RUNNING: "running",
    EventKind.NODE_WAITING: "waiting",
}


@dataclass(frozen=True)
class Bar:
    node_id: str
    attempt: int | None
    phase: str
    start: datetime
    end: datetime
    outcome: str | None
    note: str = ""

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass
class Row:
    node_id: str
    bars: list[Bar] = field(default_factory=list)


@dataclass(frozen=True)
class Gantt:
    start: datetime
    end: datetime
    rows: list[Row]
    hidden_rows: int

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 0.001)

    def fraction(self, at: datetime) -> float:
        """Where ``at`` falls between the chart's start (0) and end (1)."""
        return min(1.0, max(0.0, (at - self.start).total_seconds() / self.seconds))


@dataclass
class _Open:
    phase: str
    start: datetime
    attempt: int | None


def _outcome(event: JobEvent) -> str:
    if event.kind is EventKind.NODE_RETRYING:
        error = event.data.get("error") or {}
        return "timed_out" if error.get("kind") == "timeout" else "failed"
    return _OUTCOMES[event.kind]


def _note(event: JobEvent) -> str:
    error = event.data.get("error") or {}
    if event.kind is EventKind.NODE_RETRYING:
        return f"retry in {event.data.get('delay_seconds', 0):g} s: {error.get('message', '')}"
    return str(error.get("message") or event.data.get("reason") or "")


def gantt(events: list[JobEvent], now: datetime, max_rows: int = MAX_ROWS) -> Gantt:
    """Bars for every node with a recorded event; the first ``max_rows`` rows by first event
    are kept (``hidden_rows`` counts the rest). Bars still open end at ``now``."""
    rows: dict[str, Row] = {}
    open_: dict[str, _Open] = {}
    start = min((e.at for e in events), default=now)
    end = max((e.at for e in events), default=now)
    final = any(e.kind in _JOB_ENDS for e in events)

    def close(node_id: str, at: datetime, outcome: str | None, note: str = "") -> None:
        phase = open_.pop(node_id, None)
        if phase is not None and not (phase.phase == "queued" and at <= phase.start):
            bar = Bar(node_id, phase.attempt, phase.phase, phase.start, at, outcome, note)
            rows[node_id].bars.append(bar)

    queues = _queued_dispatches(events)
    for event in events:
        node_id = event.node_id
        if node_id is None:
            continue
        rows.setdefault(node_id, Row(node_id))
        if event.kind in _OPENS:
            close(node_id, event.at, "")
            phase = _OPENS[event.kind]
            if event.kind is EventKind.NODE_DISPATCHED and (node_id, event.attempt) in queues:
                phase = "queued"
            open_[node_id] = _Open(phase, event.at, event.attempt)
        elif event.kind is EventKind.NODE_RETRYING:
            close(node_id, event.at, _outcome(event), _note(event))
            open_[node_id] = _Open("backoff", event.at, event.data.get("next_attempt"))
        elif event.kind in _OUTCOMES:
            close(node_id, event.at, _outcome(event), _note(event))
    until = end if final else max(end, now)
    for node_id in list(open_):
        close(node_id, until, None)
    kept = [row for row in rows.values() if row.bars]
    return Gantt(start, until, kept[:max_rows], max(0, len(kept) - max_rows))


_JOB_ENDS = frozenset({EventKind.JOB_COMPLETED, EventKind.JOB_FAILED, EventKind.JOB_CANCELLED})


def _queued_dispatches(events: list[JobEvent]) -> set[tuple[str | None, int | None]]:
    """The heavy attempts whose dispatch opens a queued phase: those the worker reported
    running, and those not finished yet (still in the queue, or running)."""
    heavy = {
        (e.node_id, e.attempt)
        for e in events
        if e.kind is EventKind.NODE_DISPATCHED and e.data.get("queue") == "heavy"
    }
    started = {(e.node_id, e.attempt) for e in events if e.kind is EventKind.NODE_RUNNING}
    ended = {
        (e.node_id, e.attempt)
        for e in events
        if e.kind in _OUTCOMES or e.kind is EventKind.NODE_RETRYING
    }
    return {attempt for attempt in heavy if attempt in started or attempt not in ended}
