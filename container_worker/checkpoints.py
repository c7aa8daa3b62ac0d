"""Checkpoints and result markers of heavy tasks, in blob storage.

Layout:

    dagmaster-checkpoints/<job>/<node>.json           {"task_id": {...}, "state": {...}}
    dagmaster-tasks/<job>/<node>/<attempt>/result.json   the `TaskResult` JSON

A checkpoint is keyed by job and node, not attempt, so the next attempt of a node resumes
where the previous one stopped (a message's ``checkpoint_ref`` overrides the location). A
result marker is keyed by the full task id: its presence means the attempt has finished and
a redelivery must only re-send the stored result.
"""

from __future__ import annotations

from typing import Any

from adapters.taskqueue.blobs import JsonBlobs
from domain.tasks import TaskId, TaskMessage, TaskResult

CHECKPOINT_CONTAINER = "dagmaster-checkpoints"
RESULT_CONTAINER = "dagmaster-tasks"


def checkpoint_ref(task_id: TaskId) -> str:
    return f"{CHECKPOINT_CONTAINER}/{task_id.job_id}/{task_id.node_id}.json"


def result_ref(task_id: TaskId) -> str:
    return f"{RESULT_CONTAINER}/{task_id.key()}/result.json"


class TaskStore:
    def __init__(self, blobs: JsonBlobs) -> None:
        self._blobs = blobs

    def load_checkpoint(self, message: TaskMessage) -> dict[str, Any] | None:
        document = self._blobs.get(self._checkpoint_ref(message))
        return None if document is None else dict(document["state"])

    def save_checkpoint(self, message: TaskMessage, state: dict[str, Any]) -> None:
        document = {"task_id": message.task_id.model_dump(), "state": state}
        self._blobs.put(self._checkpoint_ref(message), document)

    def delete_checkpoint(self, message: TaskMessage) -> None:
        self._blobs.delete(self._checkpoint_ref(message))

    def load_result(self, task_id: TaskId) -> TaskResult | None:
        document = self._blobs.get(result_ref(task_id))
        return None if document is None else TaskResult.model_validate(document)

    def save_result(self, result: TaskResult) -> None:
        self._blobs.put(result_ref(result.task_id), result.model_dump(mode="json"))

    def close(self) -> None:
        self._blobs.close()

    @staticmethod
    def _checkpoint_ref(message: TaskMessage) -> str:
        return message.checkpoint_ref or checkpoint_ref(message.task_id)
