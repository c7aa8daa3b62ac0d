"""Call the API's functions in-process as the Functions host finds them, by function name."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import azure.functions as func

from tests.support.app import app_functions

BASE = "http://localhost:7071/"


def call(
    name: str,
    path: str,
    *,
    method: str = "GET",
    params: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
    body: bytes | dict[str, Any] | None = None,
    client: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Call the HTTP function ``name`` with a request for ``path``; returns (status, JSON).

    ``client`` is handed to a function with a Durable client binding in place of the SDK's
    middleware, which would build a real client from the host's binding data."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body or b""
    request = func.HttpRequest(
        method,
        BASE + path,
        params=params or {},
        route_params=route_params or {},
        body=raw,
        headers=headers or {},
    )
    [info] = [i for i in app_functions().http if i.name == name]
    fn = info.fn if client is None else info.fn.__wrapped__
    result = fn(request) if client is None else fn(request, client=client)
    response = asyncio.run(result) if inspect.isawaitable(result) else result
    return response.status_code, json.loads(response.get_body())
