"""The task handler library: one registry shared by light activities and the container worker.

Importing this package registers every built-in handler.
"""

# Importing these modules registers their handlers.
from handlers import builtin as _builtin  # noqa: F401
from handlers import raster as _raster  # noqa: F401
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
