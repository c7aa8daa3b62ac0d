"""The Starlette application: admin endpoints, the Durable HTTP API (system key), the RPC
endpoint the client binding points at (a per-process secret path), and the function
triggers (matched last)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devhost.client_binding import rpc_base
from devhost.engine.core import Engine
from devhost.http.durable_api import DurableApi
from devhost.http.triggers import TriggerDispatcher, provided_key
from devhost.keys import HostKeys
from devhost.settings import DevhostSettings
from devhost.timer_triggers import TimerTriggers


class AnyPath(Convertor[str]):
    """Starlette's ``path`` without its blind spot: a path with a newline (``%0A``) in it
    still reaches the function triggers, which answer it as the Functions host does."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anypath", AnyPath())

log = logging.getLogger("devhost")
WEBHOOK_PREFIX = "/runtime/webhooks/durabletask"


def build_app(settings: DevhostSettings, keys: HostKeys, engine: Engine) -> Starlette:
    triggers = TriggerDispatcher(settings, keys, engine.invoker, engine.index.http)
    timers = TimerTriggers(settings, keys, engine.invoker, engine.index.timers)
    api = DurableApi(settings, keys, engine)
    prefix = settings.host_json.route_prefix.strip("/")

    async def host_status(request: Request) -> Response:
        if settings.require_keys and not keys.allows("admin", provided_key(request)):
            return Response(status_code=401)
        return JSONResponse(
            {"id": "devhost", "state": "Running", "version": "devhost", "processUptime": 0}
        )

    async def metrics(request: Request) -> Response:
        if settings.require_keys and not keys.allows("admin", provided_key(request)):
            return Response(status_code=401)
        instance_id = request.query_params.get("instanceId", "")
        seconds, episodes = engine.orchestrations.replay_stats.get(instance_id, (0.0, 0))
        return JSONResponse(
            {"instanceId": instance_id, "replaySeconds": seconds, "episodes": episodes}
        )

    async def function_trigger(request: Request) -> Response:
        path = request.path_params.get("path", "")
        if prefix:
            head, _, rest = path.partition("/")
            if head.lower() != prefix.lower():
                return Response(status_code=404)
            path = rest
        return await triggers.handle(request, path)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await engine.start()
        timers.start()
        for line in triggers.urls():
            log.info("function %s", line)
        log.info("devhost ready on %s (task hub %s)", settings.origin, settings.host_json.hub_name)
        yield
        timers.stop()
        await engine.stop()

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    routes = [
        Route("/admin/host/status", host_status, methods=["GET"]),
        Route("/admin/devhost/metrics", metrics, methods=["GET"]),
        *api.routes(WEBHOOK_PREFIX, require_key=True),
        # Without the secret, `/durabletask/...` is an ordinary unknown path (404), as on Azure.
        *api.routes(rpc_base(settings), require_key=False),
        Route("/{path:anypath}", function_trigger, methods=methods),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
