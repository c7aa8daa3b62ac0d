"""The Durable Functions HTTP API (`/runtime/webhooks/durabletask/...`) with Azure's routes,
query parameters, JSON shapes and status codes. The same handlers serve the client SDK's
RPC base (`/durabletask/<per-process secret>/...`, see `devhost.client_binding.rpc_base`).

Links in responses are built from devhost's own origin, never from the request's `Host`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devhost.client_binding import INSTANCE_PLACEHOLDER, management_urls
from devhost.engine.core import (
    Engine,
    InstanceExists,
    InstanceGone,
    InstanceNotFound,
    UnknownFunction,
)
from devhost.http.entity_api import EntityApi
from devhost.http.status import parse_stored, status_payload
from devhost.keys import HostKeys
from devhost.settings import DevhostSettings
from devhost.store import InstanceQuery
from devhost.timeutil import parse_ts, to_history_ts, utcnow

Handler = Callable[[Request], Awaitable[Response]]
RUNNING_STATES = {"Running", "Pending", "ContinuedAsNew", "Suspended"}


def error(status: int, message: str, detail: str | None = None) -> JSONResponse:
    body = {"Message": message, "ExceptionMessage": detail or message}
    return JSONResponse(body, status_code=status)


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    return default if value is None else value.strip().lower() == "true"


def _ts_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return to_history_ts(parse_ts(value)) if value else None


async def _json_body(request: Request) -> tuple[bool, str | None]:
    """(ok, stored JSON text): the body re-serialised compactly, None when empty."""
    raw = await request.body()
    if not raw.strip():
        return True, None
    try:
        return True, json.dumps(json.loads(raw), separators=(",", ":"))
    except ValueError:
        return False, None


class DurableApi:
    def __init__(self, settings: DevhostSettings, keys: HostKeys, engine: Engine) -> None:
        self.settings = settings
        self.keys = keys
        self.engine = engine
        self.entities = EntityApi(engine)

    def routes(self, prefix: str, require_key: bool) -> list[Route]:
        table: list[tuple[str, Handler, list[str]]] = [
            ("/orchestrators/{name}", self.start, ["POST"]),
            ("/orchestrators/{name}/{instance_id}", self.start, ["POST"]),
            ("/instances/{instance_id}", self.get_status, ["GET"]),
            ("/instances/{instance_id}", self.purge_one, ["DELETE"]),
            ("/instances", self.list_instances, ["GET"]),
            ("/instances/", self.list_instances, ["GET"]),
            ("/instances", self.purge_many, ["DELETE"]),
            ("/instances/", self.purge_many, ["DELETE"]),
            ("/instances/{instance_id}/raiseEvent/{event_name}", self.raise_event, ["POST"]),
            ("/instances/{instance_id}/terminate", self.terminate, ["POST"]),
            ("/instances/{instance_id}/suspend", self.suspend, ["POST"]),
            ("/instances/{instance_id}/resume", self.resume, ["POST"]),
            ("/instances/{instance_id}/restart", self.restart, ["POST"]),
            ("/instances/{instance_id}/rewind", self.rewind, ["POST"]),
            ("/entities/{name}/{key}", self.entities.get, ["GET"]),
            ("/entities/{name}/{key}", self.entities.signal, ["POST"]),
            ("/entities/{name}/{key}", self.entities.delete, ["DELETE"]),
            ("/entities/{name}", self.entities.list, ["GET"]),
            ("/entities/{name}", self.entities.signal, ["POST"]),
            ("/entities/{name}", self.entities.delete, ["DELETE"]),
            ("/entities", self.entities.list, ["GET"]),
            ("/entities/", self.entities.list, ["GET"]),
        ]
        return [
            Route(prefix + path, self._guard(handler, require_key), methods=methods)
            for path, handler, methods in table
        ]

    def _guard(self, handler: Handler, require_key: bool) -> Handler:
        async def guarded(request: Request) -> Response:
            if require_key and self.settings.require_keys:
                key = request.headers.get("x-functions-key") or request.query_params.get("code")
                if not self.keys.allows("system", key):
                    return Response(status_code=401)
            try:
                return await handler(request)
            except InstanceNotFound:
                return Response(status_code=404)
            except InstanceGone:
                return error(410, "The instance is in a final state and cannot change.")
            except (UnknownFunction, ValueError) as exc:
                return error(400, "One or more of the arguments submitted is incorrect", str(exc))
            except InstanceExists as exc:
                return error(500, "Something went wrong while processing your request", str(exc))

        return guarded

    # --- check-status payloads --------------------------------------------------------
    def check_status_payload(self, request: Request, instance_id: str) -> dict[str, str]:
        hub = request.query_params.get("taskHub") or self.settings.host_json.hub_name
        urls = management_urls(self.settings, self.keys, hub)
        payload = {}
        for key, url in urls.items():
            if key == "rewindPostUri":
                continue  # the host's own payload has no rewind URL
            payload[key] = url.replace(INSTANCE_PLACEHOLDER, instance_id)
        return payload

    def accepted(self, request: Request, instance_id: str) -> JSONResponse:
        payload = self.check_status_payload(request, instance_id)
        return JSONResponse(
            payload,
            status_code=202,
            headers={"Location": payload["statusQueryGetUri"], "Retry-After": "10"},
        )

    # --- orchestrations ---------------------------------------------------------------
    async def start(self, request: Request) -> Response:
        ok, body = await _json_body(request)
        if not ok:
            return error(400, "Invalid JSON content")
        instance_id = await self.engine.start_instance(
            request.path_params["name"], request.path_params.get("instance_id"), body
        )
        timeout = request.query_params.get("timeout")
        if timeout is None:
            return self.accepted(request, instance_id)
        interval = float(request.query_params.get("pollingInterval") or 1)
        return await self._wait(request, instance_id, float(timeout), interval)

    async def _wait(
        self, request: Request, instance_id: str, timeout: float, interval: float
    ) -> Response:
        deadline = time.monotonic() + timeout
        while True:
            rec = self.engine.store.get_instance(instance_id)
            if rec is not None and rec.status == "Completed":
                return JSONResponse(parse_stored(rec.output), status_code=200)
            if rec is not None and rec.status in ("Failed", "Terminated", "Canceled"):
                return JSONResponse(status_payload(rec), status_code=200)
            if time.monotonic() >= deadline:
                return self.accepted(request, instance_id)
            await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))

    async def get_status(self, request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        rec = self.engine.store.get_instance(instance_id)
        if rec is None:
            return Response(status_code=404)
        history = self.engine.history(instance_id) if _flag(request, "showHistory", False) else None
        body = status_payload(
            rec,
            show_input=_flag(request, "showInput", True),
            history=history,
            show_history_output=_flag(request, "showHistoryOutput", False),
        )
        if rec.status in RUNNING_STATES:
            location = self.settings.origin + request.url.path
            if request.url.query:
                location += "?" + request.url.query
            return JSONResponse(
                body, status_code=202, headers={"Location": location, "Retry-After": "5"}
            )
        if rec.status == "Failed" and _flag(request, "returnInternalServerErrorOnFailure", False):
            return JSONResponse(body, status_code=500)
        return JSONResponse(body, status_code=200)

    def _query(self, request: Request) -> InstanceQuery:
        statuses: list[str] = []
        for value in request.query_params.getlist("runtimeStatus"):
            statuses += [s.strip() for s in value.split(",") if s.strip()]
        return InstanceQuery(
            created_from=_ts_param(request, "createdTimeFrom"),
            created_to=_ts_param(request, "createdTimeTo"),
            statuses=statuses or None,
            prefix=request.query_params.get("instanceIdPrefix"),
        )

    async def list_instances(self, request: Request) -> Response:
        query = self._query(request)
        query.limit = int(request.query_params.get("top") or 100)
        token = request.headers.get("x-ms-continuation-token")
        query.offset = _decode_token(token) if token else 0
        records = self.engine.query(query)
        show_input = _flag(request, "showInput", True)
        body = [status_payload(r, show_input=show_input) for r in records]
        headers = {}
        if len(records) == query.limit:
            headers["x-ms-continuation-token"] = _encode_token(query.offset + len(records))
        return JSONResponse(body, status_code=200, headers=headers)

    async def purge_one(self, request: Request) -> Response:
        deleted = await self.engine.purge([request.path_params["instance_id"]])
        if not deleted:
            return Response(status_code=404)
        return JSONResponse({"instancesDeleted": deleted}, status_code=200)

    async def purge_many(self, request: Request) -> Response:
        if not request.query_params.get("createdTimeFrom"):
            return error(400, "Please provide value for 'createdTimeFrom' parameter.")
        query = self._query(request)
        query.created_to = query.created_to or to_history_ts(utcnow())
        ids = [r.instance_id for r in self.engine.query(query)]
        deleted = await self.engine.purge(ids)
        if not deleted:
            return Response(status_code=404)
        return JSONResponse({"instancesDeleted": deleted}, status_code=200)

    async def raise_event(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if "application/json" not in content_type.lower():
            return error(400, "Only application/json request content is supported")
        ok, body = await _json_body(request)
        if not ok:
            return error(400, "Invalid JSON content")
        await self.engine.raise_event(
            request.path_params["instance_id"], request.path_params["event_name"], body
        )
        return Response(status_code=202)

    async def terminate(self, request: Request) -> Response:
        await self.engine.terminate(
            request.path_params["instance_id"], request.query_params.get("reason")
        )
        return Response(status_code=202)

    async def suspend(self, request: Request) -> Response:
        await self.engine.set_suspended(
            request.path_params["instance_id"], True, request.query_params.get("reason")
        )
        return Response(status_code=202)

    async def resume(self, request: Request) -> Response:
        await self.engine.set_suspended(
            request.path_params["instance_id"], False, request.query_params.get("reason")
        )
        return Response(status_code=202)

    async def restart(self, request: Request) -> Response:
        rec = self.engine.store.get_instance(request.path_params["instance_id"])
        if rec is None:
            return error(400, "InstanceId does not match a valid orchestration instance.")
        same_id = not _flag(request, "restartWithNewInstanceId", True)
        instance_id = await self.engine.start_instance(
            rec.name, rec.instance_id if same_id else None, rec.input
        )
        return self.accepted(request, instance_id)

    async def rewind(self, request: Request) -> Response:
        # Rewind is deprecated on Azure and its semantics are not mirrored here.
        return error(501, "devhost does not implement rewind.")


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"Invalid continuation token '{token}'.") from exc
