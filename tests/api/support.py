"""Call the API's handlers as the Functions host does, on the real catalog."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import azure.functions as func

BASE = "http://localhost:7071/"


def call(
    route: Any,
    path: str,
    *,
    method: str = "GET",
    params: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
    body: bytes | dict[str, Any] | None = None,
    client: Any = None,
) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body or b""
    request = func.HttpRequest(
        method, BASE + path, params=params or {}, route_params=route_params or {}, body=raw
    )
    handler = route._function._func
    if client is None:
        response = asyncio.run(handler(request))
    else:  # past the SDK's middleware, which would build the client from a binding string
        response = asyncio.run(handler.__wrapped__(request, client=client))
    return response.status_code, json.loads(response.get_body())
