"""Reading a request: JSON bodies and query and path parameters, checked before any of it
can reach PostgreSQL (size, depth, NaN/Infinity, NUL and lone surrogates), then validated by
the route's model; every problem is a 4xx naming the field."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import azure.functions as func
from pydantic import BaseModel, ValidationError

from api.errors import BadRequest, PayloadTooLarge
from application.limits import limits

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64
"""Deepest nesting a JSON body may have (arrays and objects)."""


def unstorable(text: str) -> str | None:
    """Why PostgreSQL cannot store ``text`` (a NUL, a lone surrogate), or None."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    return "contains a NUL character" if match.group() == "\x00" else "contains a lone surrogate"


def check_url(req: func.HttpRequest) -> None:
    """Path and query parameters PostgreSQL could not store are a 400 naming them."""
    for name, value in (*req.route_params.items(), *req.params.items()):
        problem = unstorable(value) or unstorable(name)
        if problem:
            raise BadRequest(f"{name}: {problem}", fields={name: problem})


def _check_json(value: Any) -> None:
    """Every string (keys too) storable, nesting at most `MAX_DEPTH`; 400 naming the path."""
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, str):
            problem = unstorable(item)
            if problem:
                raise BadRequest(f"{path or 'body'}: {problem}", fields={path or "body": problem})
            continue
        if isinstance(item, float) and not math.isfinite(item):
            # 1e400 parses as infinity without passing parse_constant
            problem = "a number too large for JSON (infinite)"
            raise BadRequest(f"{path or 'body'}: {problem}", fields={path or "body": problem})
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise BadRequest(f"the JSON body is nested deeper than {MAX_DEPTH} levels at {path}")
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            child_path = f"{path}.{key}" if path else str(key)
            problem = unstorable(key) if isinstance(key, str) else None
            if problem:
                raise BadRequest(f"{child_path}: the key {problem}", fields={child_path: problem})
            stack.append((child_path, child, depth + 1))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; send a number or null")


def json_body(req: func.HttpRequest) -> dict[str, Any]:
    """The request's JSON object: at most `Limits.max_body_bytes` (else 413), strict JSON
    (no NaN/Infinity), nested at most `MAX_DEPTH`, no text PostgreSQL cannot store."""
    raw = req.get_body()
    if not raw:
        return {}
    most = limits().max_body_bytes
    if len(raw) > most:
        raise PayloadTooLarge(
            f"request body is {len(raw)} bytes; at most {most} are accepted "
            "(DAGMASTER_MAX_BODY_BYTES); pass large data by reference, e.g. a blob path"
        )
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest(f"the JSON body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise BadRequest(f"malformed JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object")
    _check_json(body)
    return body


def parse(model: type[BaseModel], data: dict[str, Any], what: str = "request body") -> Any:
    """``data`` validated by ``model``; a 400 listing each bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(map(str, e["loc"])) or "body": e["msg"] for e in exc.errors(include_url=False)
        }
        named = "; ".join(f"{k}: {v}" for k, v in fields.items())
        raise BadRequest(f"invalid {what}: {named}", fields=fields) from exc


def parse_query(model: type[BaseModel], req: func.HttpRequest) -> Any:
    """The query string validated by ``model`` (query text is converted, e.g. ``limit=5``)."""
    return parse(model, dict(req.params), "query")
