"""The task handler library: one registry shared by light activities and the container worker.

Importing this package registers every built-in handler, then the handlers of the modules
named in ``DAGMASTER_HANDLERS_MODULES`` (a comma list; none by default). The Functions app
validates workflows against this registry, so a handler that only the worker runs must be
named there too for a workflow to use it.
"""

import importlib

from config.settings import HandlerSettings

# Importing these modules registers their handlers.
from handlers import builtin as _builtin  # noqa: F401
from handlers import publish as _publish  # noqa: F401
from handlers import raster as _raster  # noqa: F401
from handlers import vector as _vector  # noqa: F401
from handlers.base import (
    HandlerContext,
    HandlerError,
    LocalContext,
    NonRetryableError,
    RetryableError,
    registry,
)


def _import_extra_modules() -> None:
    for name in HandlerSettings.from_env().handlers_modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(
                f"DAGMASTER_HANDLERS_MODULES names '{name}', which cannot be imported: {exc}"
            ) from exc


_import_extra_modules()

__all__ = [
    "HandlerContext",
    "HandlerError",
    "LocalContext",
    "NonRetryableError",
    "RetryableError",
    "registry",
]
