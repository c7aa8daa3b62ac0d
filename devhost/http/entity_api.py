"""The entity part of the Durable HTTP API, as the extension's `HttpApiHandler` serves it.

- `GET    /entities/{name}/{key}`: 200 with the state JSON, 404 when the entity does not
  exist. The key `$` stands for the empty key (on GET only, as on Azure).
- `POST   /entities/{name}[/{key}]?op=...`: 202; signals the operation. No body: no input;
  `application/json`: the parsed body; anything else: the body as a string.
- `DELETE /entities/{name}[/{key}]`: the same as POST with the operation `delete`.
- `GET    /entities[/{name}]`: 200 with a page of existing entities (`top`, default 100),
  filtered by exact name and `lastOperationTimeFrom`/`To`; `fetchState=true` adds their
  state. More pages: an `x-ms-continuation-token` header, sent back as a request header.

The extension URL-decodes the path with `WebUtility.UrlDecode`, so a `+` in a key is a space.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devhost.engine.core import Engine
from devhost.engine.entities import entity_instance_id, split_entity_id
from devhost.http.status import parse_stored
from devhost.store import EntityQuery, EntityRecord
from devhost.timeutil import parse_ts, to_history_ts

CONTINUATION_HEADER = "x-ms-continuation-token"
DEFAULT_PAGE_SIZE = 100


class BadEntityRequest(ValueError):
    """A parameter of an entity request is invalid; the message names it."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"Message": message}, status_code=status)


def _raw_segments(request: Request, count: int) -> list[str]:
    """The last `count` path segments, decoded as the extension decodes the path."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    segments = raw.decode("utf-8", errors="replace").rstrip("/").split("/")[-count:]
    return [unquote_plus(s, encoding="utf-8") for s in segments]


def _name_and_key(request: Request) -> tuple[str, str]:
    if "key" not in request.path_params:
        return _raw_segments(request, 1)[0], ""  # no key segment: the empty key
    name, key = _raw_segments(request, 2)
    return name, key


def _check_key(key: str) -> None:
    if any(c in "/\\#?" or ord(c) < 32 or 127 <= ord(c) < 160 for c in key):
        raise BadEntityRequest(
            f"Invalid entity key '{key}': entity keys must not contain /, \\, #, ?, "
            "or control characters."
        )


def _time_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return to_history_ts(parse_ts(value))
    except ValueError as exc:
        raise BadEntityRequest(f"'{name}' must be an ISO 8601 timestamp, got '{value}'.") from exc


def _page_size(request: Request) -> int:
    value = request.query_params.get("top")
    if value is None or value == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise BadEntityRequest(f"'top' must be a positive integer, got '{value}'.")
    return size


def _encode_token(entity_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": entity_id}).encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadEntityRequest(f"Invalid '{CONTINUATION_HEADER}' header '{token}'.") from exc


def _listed(record: EntityRecord, fetch_state: bool) -> dict[str, Any]:
    name, key = split_entity_id(record.entity_id)
    item: dict[str, Any] = {
        "entityId": {"key": key, "name": name},
        "lastOperationTime": record.last_operation_time,
    }
    if fetch_state:
        item["state"] = parse_stored(record.state)
    return item


class EntityApi:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def get(self, request: Request) -> Response:
        name, key = _name_and_key(request)
        entity_id = entity_instance_id(name, "" if key == "$" else key)
        record = self.engine.store.get_entity(entity_id)
        if record is None or not record.exists:
            return Response(status_code=404)
        return JSONResponse(parse_stored(record.state), status_code=200)

    async def signal(self, request: Request) -> Response:
        op = request.query_params.get("op") or ""
        return await self._signal(request, op)

    async def delete(self, request: Request) -> Response:
        return await self._signal(request, "delete")

    async def _signal(self, request: Request, op: str) -> Response:
        name, key = _name_and_key(request)
        if self.engine.index.entity(name) is None:
            return _error(404, f"No entity function named '{name}'.")
        try:
            _check_key(key)
        except BadEntityRequest as exc:
            return _error(400, str(exc))
        raw = await request.body()
        if not raw:
            input_json = None
        elif request.headers.get("content-type", "").split(";")[0].strip().lower() == (
            "application/json"
        ):
            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                return _error(400, f"Could not parse JSON content: {exc}")
            input_json = json.dumps(parsed, separators=(",", ":"))
        else:
            input_json = json.dumps(raw.decode("utf-8", errors="replace"))
        await self.engine.signal_entity(entity_instance_id(name, key), op, input_json)
        return Response(status_code=202)

    async def list(self, request: Request) -> Response:
        try:
            query = self._query(request)
        except BadEntityRequest as exc:
            return _error(400, str(exc))
        fetch_state = request.query_params.get("fetchState", "").strip().lower() == "true"
        page = query.limit
        query.limit = page + 1  # one more tells whether another page follows
        records = self.engine.store.query_entities(query)
        headers = {}
        if len(records) > page:
            records = records[:page]
            headers[CONTINUATION_HEADER] = _encode_token(records[-1].entity_id)
        body = [_listed(r, fetch_state) for r in records]
        return JSONResponse(body, status_code=200, headers=headers)

    @staticmethod
    def _query(request: Request) -> EntityQuery:
        name = _raw_segments(request, 1)[0] if "name" in request.path_params else None
        token = request.headers.get(CONTINUATION_HEADER)
        return EntityQuery(
            name=name.lower() if name else None,
            last_operation_from=_time_param(request, "lastOperationTimeFrom"),
            last_operation_to=_time_param(request, "lastOperationTimeTo"),
            after_id=_decode_token(token) if token else None,
            limit=_page_size(request),
        )
