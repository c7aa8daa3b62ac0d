"""deliver_callbacks, replayed by the real SDK: one event at a time, durable-timer back-off
between attempts with the same event_id, continue-as-new for the next, idle then end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.callbacks import DeliveryInput, RetryPolicy
from tests.support.replay import Episode, Replay, work_input

FIRE_AT = "%Y-%m-%dT%H:%M:%S.000000Z"
POLICY = RetryPolicy(max_attempts=3, initial_seconds=2, max_seconds=60)


def start() -> Replay:
    message = DeliveryInput(asset_id="ddh-a", policy=POLICY)
    return Replay("deliver_callbacks", message.model_dump(mode="json"), "callbacks-ddh-a")


def continued_as_new(episode: Episode) -> bool:
    actions = [a for group in episode.state.get("actions") or [] for a in group]
    return any(a.get("actionType") == 4 for a in actions)  # the SDK's ContinueAsNew


def sending(replay: Replay, event_id: str = "evt_1") -> Episode:
    first = replay.run()
    [pending] = first.scheduled("next_callback")
    replay.complete(pending, event_id)
    return replay.run()


def answer(replay: Replay, episode: Episode, **result: Any) -> Episode:
    [send] = episode.scheduled("send_callback")
    replay.complete(send, {"attempt": work_input(send)["attempt"], **result})
    return replay.run()


def test_the_oldest_pending_event_is_sent_as_attempt_1():
    [send] = sending(start()).scheduled("send_callback")
    assert (work_input(send)["event_id"], work_input(send)["attempt"]) == ("evt_1", 1)


def test_a_503_waits_the_back_off_on_a_durable_timer_then_sends_the_same_event_again():
    replay = start()
    waiting = answer(replay, sending(replay), status_code=503)
    [timer] = waiting.timers()
    assert timer.fire_at == (replay.clock + timedelta(seconds=2)).strftime(FIRE_AT)  # 2 s
    replay.fire(timer)
    [again] = replay.run().scheduled("send_callback")
    assert (work_input(again)["event_id"], work_input(again)["attempt"]) == ("evt_1", 2)


def test_a_delivered_event_continues_as_new_for_the_next_one():
    replay = start()
    done = answer(replay, sending(replay), status_code=204)
    assert done.timers() == []
    assert continued_as_new(done)


def test_a_404_is_given_up_at_once_without_a_timer():
    replay = start()
    done = answer(replay, sending(replay), status_code=404)
    assert done.timers() == []
    assert continued_as_new(done)


def test_with_nothing_pending_it_idles_on_a_timer_and_a_wake_up_continues_it():
    replay = start()
    first = replay.run()
    replay.complete(first.scheduled("next_callback")[0], None)
    idle = replay.run()
    assert len(idle.timers()) == 1 and not idle.done
    replay.raise_event("callbacks_enqueued", None)
    assert continued_as_new(replay.run())


def idle_timer_fired(replay: Replay) -> Episode:
    first = replay.run()
    replay.complete(first.scheduled("next_callback")[0], None)
    [idle] = replay.run().timers()
    replay.fire(idle)
    return replay.run()


def test_when_the_idle_timer_fires_it_asks_to_close_its_generation_before_it_ends():
    replay = start()
    closing = idle_timer_fired(replay)
    [close] = closing.scheduled("close_callbacks")
    assert work_input(close) == {"asset_id": "ddh-a", "generation": 0}
    assert not closing.done


def test_with_nothing_pending_as_it_closes_it_ends():
    replay = start()
    [close] = idle_timer_fired(replay).scheduled("close_callbacks")
    replay.complete(close, None)
    end = replay.run()
    assert end.done and end.output == "idle"


def test_an_event_recorded_as_it_finishes_is_handed_to_it_and_it_continues():
    """The wake-up gap: the idle timer fired, the event's kick arrives after it (lost with
    the ending instance), and the event was recorded before the close: close hands it over."""
    replay = start()
    [close] = idle_timer_fired(replay).scheduled("close_callbacks")
    replay.raise_event("callbacks_enqueued", None)  # too late for task_any: the timer won
    replay.complete(close, "evt_9")
    arrived = replay.run()
    assert continued_as_new(arrived) and arrived.output == "arrived while closing"
