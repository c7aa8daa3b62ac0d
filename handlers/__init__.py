"""The task handler library: one registry shared by light activities and the container worker.

Importing this package registers every built-in handler.
"""

from handlers.base import (
    HandlerContext,
    HandlerError,
    LocalContext,
    NonRetryableError,
    RetryableError,
    registry,
)

__all__ = [
    "HandlerContext",
    "HandlerError",
    "LocalContext",
    "NonRetryableError",
    "RetryableError",
    "registry",
]
