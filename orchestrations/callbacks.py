"""`deliver_callbacks`: one per asset, sending its pending callback events in order.

Take the oldest pending event, attempt it until `domain.callbacks.next_step` says delivered
or given up (waiting on durable timers between attempts), then continue as new for the next
one (history stays one event long). With nothing pending it idles a while for a wake-up
(`emit_callbacks` raises one). Before it ends it asks `close_callbacks`, which closes it only
if nothing is pending at that moment (under the same lock a wake-up takes), and otherwise
hands it the event that arrived meanwhile: an event recorded while it was finishing is either
sent by it, or finds it closed and starts the next generation (`delivery_instance_id`).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from domain.callbacks import (
    AttemptResult,
    CloseCallbacks,
    DeliveryInput,
    RetryAfter,
    SendCallback,
    next_step,
)
from domain.names import (
    CALLBACK_KICK,
    CLOSE_CALLBACKS,
    DELIVER_CALLBACKS,
    NEXT_CALLBACK,
    SEND_CALLBACK,
)

bp = df.Blueprint()

IDLE = timedelta(seconds=30)
_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=5)


@bp.orchestration_trigger(context_name="context", orchestration=DELIVER_CALLBACKS)
def deliver_callbacks(context: df.DurableOrchestrationContext) -> Generator[Any, Any, str]:
    message = DeliveryInput.model_validate(context.get_input())
    event_id = yield context.call_activity_with_retry(NEXT_CALLBACK, _RETRY, message.asset_id)
    if event_id is None:
        kick = context.wait_for_external_event(CALLBACK_KICK)
        idle = context.create_timer(context.current_utc_datetime + IDLE)
        winner = yield context.task_any([kick, idle])
        if winner is idle:
            close = CloseCallbacks(asset_id=message.asset_id, generation=message.generation)
            arrived = yield context.call_activity_with_retry(
                CLOSE_CALLBACKS, _RETRY, close.model_dump(mode="json")
            )
            if arrived is None:
                return "idle"
            context.continue_as_new(message.model_dump(mode="json"))
            return "arrived while closing"
        idle.cancel()
        context.continue_as_new(message.model_dump(mode="json"))
        return "woken"
    attempt = 1
    while True:
        send = SendCallback(event_id=event_id, attempt=attempt, policy=message.policy)
        answer = yield context.call_activity_with_retry(
            SEND_CALLBACK, _RETRY, send.model_dump(mode="json")
        )
        step = next_step(AttemptResult.model_validate(answer), message.policy)
        if not isinstance(step, RetryAfter):
            break
        delay = timedelta(seconds=step.delay_seconds)
        yield context.create_timer(context.current_utc_datetime + delay)
        attempt += 1
    context.continue_as_new(message.model_dump(mode="json"))
    return step.kind
