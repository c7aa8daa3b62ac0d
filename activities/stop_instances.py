"""`stop_instances`: raises the cancel event on child orchestrations a finished job left running."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df

from domain.jobs import CANCEL_EVENT, StopInstancesMessage
from domain.names import STOP_INSTANCES

bp = df.Blueprint()
log = logging.getLogger("dagmaster.activities")


@bp.activity_trigger(input_name="message", activity=STOP_INSTANCES)
@bp.durable_client_input(client_name="client")
async def stop_instances(message: dict[str, Any], client: df.DurableOrchestrationClient) -> int:
    """How many children took the event; one that already finished (404/410) is skipped."""
    stop = StopInstancesMessage.model_validate(message)
    stopped = 0
    for instance_id in stop.instance_ids:
        try:
            await client.raise_event(
                instance_id, CANCEL_EVENT, {"by": "dagmaster", "reason": stop.reason}
            )
        except Exception as exc:
            log.info("child %s not stopped: %s", instance_id, exc)
            continue
        stopped += 1
    return stopped
