"""Drive an orchestrator of `function_app` through the real Durable SDK, episode by episode,
against a history recorded the way the host records it.

`Replay.run()` sends the history to the SDK (the orchestration trigger's JSON protocol),
reads back the actions, and records the new work as the host would (`TaskScheduled`,
`TimerCreated`, `SubOrchestrationInstanceCreated`, with the ids devhost's shadow replay
derives). A test then appends what happened meanwhile (`complete`, `fail`, `fire`,
`raise_event`) and runs the next episode. The orchestrator code under test is the app's own,
found through `get_functions()` like the Functions host finds it.

    replay = Replay("job_orchestrator", start.model_dump(mode="json"))
    first = replay.run()
    [task] = first.scheduled("run_handler")
    replay.complete(task, result)
    second = replay.run()

`Replay.save` and `Replay.load` keep a history in a JSON file, so a test can replay what an
earlier revision of the orchestrator recorded (an instance in flight across a deployment).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from devhost.engine import history as h
from devhost.engine.history import Event, EventType
from devhost.engine.replay import Want, shadow_replay
from devhost.engine.sdk_protocol import call_orchestrator
from tests.support.app import orchestrator

T0 = datetime(2026, 1, 1, tzinfo=UTC)
EXECUTION_ID = "execution-1"


@dataclass
class Episode:
    """What one replay decided: the SDK's answer and the work it newly scheduled."""

    state: dict[str, Any]
    error: str | None
    new_work: list[Want]

    @property
    def done(self) -> bool:
        return bool(self.state.get("isDone")) or self.error is not None

    @property
    def custom_status(self) -> Any:
        return self.state.get("customStatus")

    @property
    def output(self) -> Any:
        return self.state.get("output")

    def scheduled(self, name: str) -> list[Want]:
        """The activities or sub-orchestrations named ``name`` scheduled in this episode."""
        return [w for w in self.new_work if w.name == name]

    def timers(self) -> list[Want]:
        return [w for w in self.new_work if w.kind == EventType.TIMER_CREATED]


def work_input(want: Want) -> Any:
    """The input an activity or sub-orchestration was scheduled with."""
    return None if want.input is None else json.loads(want.input)


class Replay:
    def __init__(self, name: str, input_value: Any, instance_id: str = "job-1") -> None:
        self.name = name
        self.fn = orchestrator(name)
        self.input = input_value
        self.instance_id = instance_id
        self.clock = T0
        self.events: list[Event] = []
        self.arrived: list[Event] = [
            h.execution_started(T0, name, json.dumps(input_value), instance_id, EXECUTION_ID)
        ]

    def save(self, path: Path, about: str) -> None:
        """Write the history recorded so far (with its input and clock) to ``path``."""
        recording = {
            "about": about,
            "orchestrator": self.name,
            "input": self.input,
            "instance_id": self.instance_id,
            "clock": self.clock.isoformat(),
            "history": self.events,
        }
        path.write_text(json.dumps(recording, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> Replay:
        """A replay that goes on from a history written by `save`."""
        recording = json.loads(path.read_text())
        replay = cls(recording["orchestrator"], recording["input"], recording["instance_id"])
        replay.clock = datetime.fromisoformat(recording["clock"])
        replay.events = recording["history"]
        replay.arrived = []
        return replay

    # --- what happens between episodes -------------------------------------------------

    def complete(self, want: Want, value: Any) -> None:
        result = json.dumps(value)
        if want.kind == EventType.SUB_ORCHESTRATION_CREATED:
            self.arrived.append(h.sub_orchestration_completed(self.clock, want.task_id, result))
        else:
            self.arrived.append(h.task_completed(self.clock, want.task_id, result))

    def fail(self, want: Want, reason: str) -> None:
        if want.kind == EventType.SUB_ORCHESTRATION_CREATED:
            self.arrived.append(h.sub_orchestration_failed(self.clock, want.task_id, reason, None))
        else:
            self.arrived.append(h.task_failed(self.clock, want.task_id, reason, None))

    def complete_all(self, episode: Episode, name: str, value: Any) -> None:
        for want in episode.scheduled(name):
            self.complete(want, value)

    def fire(self, timer: Want) -> None:
        assert timer.fire_at is not None
        self.arrived.append(h.timer_fired(self.clock, timer.task_id, timer.fire_at))

    def raise_event(self, name: str, value: Any) -> None:
        self.arrived.append(h.event_raised(self.clock, name, json.dumps(value)))

    def answer_entity(self, want: Want, value: Any) -> None:
        """An entity operation's answer, as the host delivers it (an event named for the
        request id, its result JSON inside)."""
        assert want.kind == EventType.EVENT_SENT and want.request_id is not None
        body = json.dumps({"result": json.dumps(value)})
        self.arrived.append(h.event_raised(self.clock, want.request_id, body))

    # --- one episode ---------------------------------------------------------------------

    def run(self, seconds: float = 1) -> Episode:
        """Replay the history with what arrived since the last episode; record new work."""
        if self.events:
            self.clock += timedelta(seconds=seconds)
        new_events = [h.orchestrator_started(self.clock), *self.arrived]
        self.arrived = []
        sdk = call_orchestrator(self.fn, self._context(self.events + new_events))
        actions = sdk.state.get("actions") or []
        replay = shadow_replay(actions, self.events + new_events, EXECUTION_ID)
        if replay.error is not None:
            raise AssertionError(f"the orchestrator did not replay deterministically: {replay}")
        scheduled = [self._scheduling_event(w) for w in replay.new_work]
        self.events += [*new_events, *scheduled, h.orchestrator_completed(self.clock)]
        for event in self.events:
            event["IsPlayed"] = True
        return Episode(sdk.state, sdk.error, replay.new_work)

    def settle(self, episode: Episode, name: str, value: Any, limit: int = 10) -> Episode:
        """Answer every ``name`` task with ``value`` and run on, until the orchestration is
        done or schedules nothing more (a timeline write, typically, before it returns)."""
        for _ in range(limit):
            if episode.done or not episode.scheduled(name):
                return episode
            self.complete_all(episode, name, value)
            episode = self.run()
        raise AssertionError(f"still scheduling '{name}' after {limit} episodes")

    def _context(self, events: list[Event]) -> str:
        return json.dumps(
            {
                "history": events,
                "input": self.input,
                "instanceId": self.instance_id,
                "isReplaying": bool(self.events),
                "parentInstanceId": None,
                "upperSchemaVersion": 1,
                "upperSchemaVersionNew": 2,
            }
        )

    def _scheduling_event(self, want: Want) -> Event:
        if want.kind == EventType.TASK_SCHEDULED:
            return h.event(
                want.kind, self.clock, want.task_id, Name=want.name, Version="", Input=want.input
            )
        if want.kind == EventType.TIMER_CREATED:
            return h.event(want.kind, self.clock, want.task_id, FireAt=want.fire_at)
        if want.kind == EventType.SUB_ORCHESTRATION_CREATED:
            return h.event(
                want.kind,
                self.clock,
                want.task_id,
                Name=want.name,
                Version="",
                InstanceId=want.instance_id,
                Input=want.input,
            )
        if want.kind == EventType.EVENT_SENT and not want.is_signal:  # an entity call
            request = {
                "op": want.operation,
                "input": want.input,
                "id": want.request_id,
                "parent": self.instance_id,
                "parentExecution": EXECUTION_ID,
            }
            return h.event(
                want.kind,
                self.clock,
                want.task_id,
                InstanceId=want.instance_id,
                Name="op",
                Input=json.dumps(request),
            )
        raise AssertionError(f"unexpected work in an orchestration: {want}")
