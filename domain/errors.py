"""Why an attempt failed: one model for light handlers, heavy tasks, batches and jobs."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorInfo(BaseModel):
    """A classified failure. ``kind`` is matched against `retry.non_retryable`; ``retryable``
    says whether the node's retry policy may try again."""

    kind: str
    message: str
    retryable: bool = True
