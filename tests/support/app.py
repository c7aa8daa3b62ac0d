"""The app's functions as the Functions host finds them (`get_functions()`), for tests that
call an orchestrator or an HTTP route in-process: the SDK can build them only once."""

from __future__ import annotations

import asyncio
import inspect
from functools import cache
from typing import Any

import azure.functions as func

from devhost.app_loader import FunctionIndex, FunctionInfo, index_functions


@cache
def app_functions() -> FunctionIndex:
    import function_app

    return index_functions(function_app.app)


def orchestrator(name: str) -> Any:
    """The SDK handle the app registers for orchestrator ``name``."""
    info = app_functions().orchestrator(name)
    if info is None:
        raise LookupError(f"function_app has no orchestrator named '{name}'")
    return info.fn


def http_route(route: str) -> FunctionInfo:
    """The HTTP function registered for ``route`` (as written in its decorator)."""
    for info in app_functions().http:
        if info.trigger.get("route") == route:
            return info
    raise LookupError(f"function_app has no HTTP route '{route}'")


def call_route(route: str, request: func.HttpRequest) -> func.HttpResponse:
    """Call the function of ``route`` with ``request``, as the host's worker does."""
    fn = http_route(route).fn
    response = fn(request)
    return asyncio.run(response) if inspect.isawaitable(response) else response
