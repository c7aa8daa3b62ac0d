"""JSON responses and the one table from exceptions to HTTP status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import azure.functions as func
from pydantic import BaseModel

from adapters.catalog import CatalogUnavailable
from domain.inputs import InputError

log = logging.getLogger("dagmaster.api")


class ApiError(Exception):
    """A request the API refuses; its HTTP status comes from `STATUS_OF`."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(ApiError):
    """The request is malformed or names bad values (400)."""


class Unauthorized(ApiError):
    """No valid key."""

    status = 401


class Forbidden(ApiError):
    """A valid key that may not do this."""

    status = 403


class NotFound(ApiError):
    """What the request names does not exist (404)."""


class Conflict(ApiError):
    """The request conflicts with the current state, e.g. of the job (409)."""


STATUS_OF: dict[type[Exception], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    InputError: 400,
    NotFound: 404,
    Conflict: 409,
    CatalogUnavailable: 503,
}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return func.HttpResponse(
        json.dumps(body, default=str),
        status_code=status,
        mimetype="application/json",
        headers=headers,
    )


def error_response(exc: Exception) -> func.HttpResponse:
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 500)
    body: dict[str, Any] = {"error": str(exc) if status != 500 else "internal error"}
    if isinstance(exc, ApiError) and exc.details:
        body.update(exc.details)
    if isinstance(exc, InputError):
        body = {
            "error": "invalid inputs",
            "fields": {f"inputs.{k}": v for k, v in exc.problems.items()},
        }
    if status == 500:
        log.exception("unhandled error")
    return json_response(body, status)


Handler = Callable[..., Awaitable[func.HttpResponse]]


def json_errors(fn: Handler) -> Handler:
    """Every error becomes a JSON body naming the problem, with its status from `STATUS_OF`."""

    @wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> func.HttpResponse:
        try:
            return await fn(*args, **kwargs)
        except Exception as exc:
            return error_response(exc)

    return wrapper


def json_body(req: func.HttpRequest) -> dict[str, Any]:
    raw = req.get_body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"malformed JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object")
    return body
