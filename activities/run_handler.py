"""`run_handler`: runs a light handler from the shared registry inside an activity."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

import wiring
from domain.jobs import RunHandlerMessage
from domain.names import RUN_HANDLER
from domain.tasks import TaskResult
from handlers import LocalContext
from handlers.execute import execute

bp = df.Blueprint()


def run(message: RunHandlerMessage) -> TaskResult:
    """Handler errors become a failed result (the activity itself succeeds), so the
    orchestrator applies the node's retry policy, not the host's."""
    task_id = message.task_id
    ctx = LocalContext(job_id=task_id.job_id, node_id=task_id.node_id, attempt=task_id.attempt)
    return execute(
        task_id,
        message.handler,
        message.params,
        ctx=ctx,
        blobs=wiring.json_blobs,
        large_output_bytes=message.large_output_bytes,
    )


@bp.activity_trigger(input_name="message", activity=RUN_HANDLER)
def run_handler(message: dict[str, Any]) -> dict[str, Any]:
    return run(RunHandlerMessage.model_validate(message)).model_dump(mode="json")


__all__ = ["bp", "run", "run_handler"]
