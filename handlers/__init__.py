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
from handlers import builtin as _builtin  # noqa: F401  (registers the built-in handlers)

__all__ = [
    "HandlerContext",
    "HandlerError",
    "LocalContext",
    "NonRetryableError",
    "RetryableError",
    "registry",
]
