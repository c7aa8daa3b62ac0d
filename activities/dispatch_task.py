"""`dispatch_task`: puts a heavy task on the task queue for the container worker."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

import wiring
from domain.names import DISPATCH_TASK
from domain.tasks import TaskMessage

bp = df.Blueprint()


@bp.activity_trigger(input_name="message", activity=DISPATCH_TASK)
def dispatch_task(message: dict[str, Any]) -> str:
    """Send the message; the worker answers with the `task:<node>:<attempt>` event."""
    task = TaskMessage.model_validate(message)
    wiring.task_queue().send(task)
    return task.task_id.key()
