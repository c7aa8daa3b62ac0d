"""HTTP-triggered functions served like `func start`: `/<routePrefix>/<route>`.

Contract: the request becomes a `func.HttpRequest` (route_params set); the function gets
its trigger argument, the durable client binding string for each `durableClient` binding,
and a `context` if it declares one. The return value (`func.HttpResponse`, str, bytes,
JSON-able value or None) becomes the response. With `--require-keys`, `authLevel` is
enforced with the `x-functions-key` header or the `code` query parameter.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devhost.app_loader import FunctionInfo
from devhost.bindings import function_kwargs
from devhost.engine.invoker import Invoker
from devhost.http.routes import RouteTemplate, compile_route
from devhost.keys import HostKeys
from devhost.settings import DevhostSettings

log = logging.getLogger("devhost")


@dataclass
class HttpFunction:
    info: FunctionInfo
    route: RouteTemplate
    methods: frozenset[str] | None
    auth_level: str


def build_http_functions(functions: list[FunctionInfo]) -> list[HttpFunction]:
    result = []
    for info in functions:
        trigger = info.trigger
        methods = trigger.get("methods")
        result.append(
            HttpFunction(
                info=info,
                route=compile_route(trigger.get("route") or info.name),
                methods=frozenset(_method_name(m) for m in methods) if methods else None,
                auth_level=str(trigger.get("authLevel") or "function"),
            )
        )
    # More literal segments win, as in ASP.NET routing precedence.
    result.sort(key=lambda f: -f.route.literal_segments)
    return result


def _method_name(method: Any) -> str:
    # The decorator stores func.HttpMethod members; raw function.json gives strings.
    return str(getattr(method, "value", method)).upper()


_PRINCIPAL = "x-ms-client-principal"


def signed_in(headers: dict[str, str], principal: str | None) -> dict[str, str]:
    """With a configured principal, act like App Service Authentication: the caller's own
    X-MS-CLIENT-PRINCIPAL* headers are dropped and the platform sets the name. Without one,
    headers pass through (a test may send the header itself)."""
    if not principal:
        return headers
    kept = {k: v for k, v in headers.items() if not k.lower().startswith(_PRINCIPAL)}
    return {**kept, f"{_PRINCIPAL}-name": principal}


def provided_key(request: Request) -> str | None:
    return request.headers.get("x-functions-key") or request.query_params.get("code")


class TriggerDispatcher:
    def __init__(
        self,
        settings: DevhostSettings,
        keys: HostKeys,
        invoker: Invoker,
        functions: list[FunctionInfo],
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.invoker = invoker
        self.functions = build_http_functions(functions)

    def urls(self) -> list[str]:
        prefix = self._prefix()
        return [
            f"{f.info.name}: [{','.join(sorted(f.methods or {'ALL'}))}] "
            f"{self.settings.origin}{prefix}/{f.route.template}"
            for f in self.functions
        ]

    def _prefix(self) -> str:
        prefix = self.settings.host_json.route_prefix.strip("/")
        return f"/{prefix}" if prefix else ""

    def find(self, path: str, method: str) -> tuple[HttpFunction, dict[str, str]] | None:
        for function in self.functions:
            params = function.route.match(path)
            if params is not None and (function.methods is None or method in function.methods):
                return function, params
        return None

    async def handle(self, request: Request, path: str) -> Response:
        found = self.find(path, request.method.upper())
        if found is None:
            return Response(status_code=404)
        function, params = found
        if self.settings.require_keys and not self.keys.allows(
            function.auth_level, provided_key(request)
        ):
            return Response(status_code=401)
        headers = signed_in(dict(request.headers), self.settings.principal)
        req = func.HttpRequest(
            method=request.method.upper(),
            url=str(request.url),
            headers=headers,
            params=dict(request.query_params),
            route_params=params,
            body=await request.body(),
        )
        try:
            kwargs = function_kwargs(function.info, req, self.settings, self.keys)
            result = await self.invoker.call(function.info.fn, kwargs, self.invoker.http_pool)
        except Exception:
            log.exception("HTTP function %s failed", function.info.name)
            return Response(status_code=500)
        return to_response(result)


def to_response(result: Any) -> Response:
    if isinstance(result, func.HttpResponse):
        headers = {k: v for k, v in result.headers.items() if k.lower() != "content-length"}
        has_type = any(k.lower() == "content-type" for k in headers)
        return Response(
            content=result.get_body(),
            status_code=result.status_code,
            headers=headers,
            media_type=None if has_type else result.mimetype,
        )
    if result is None:
        return Response(status_code=204)
    if isinstance(result, bytes | str):
        return Response(content=result, status_code=200)
    return JSONResponse(json.loads(json.dumps(result)))
