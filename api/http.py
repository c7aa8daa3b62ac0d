"""JSON responses and the one table from exceptions to HTTP status codes.

Handlers import what they need from here: the errors (`api.errors`), `json_errors`,
`json_response` and the request parsers (`api.parsing`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import azure.functions as func
from pydantic import BaseModel

from adapters.catalog import CatalogUnavailable
from api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from api.parsing import check_url, json_body, parse, parse_query
from application.errors import (
    InstanceGone,
    JobStateConflict,
    NoSuchJob,
    NoSuchNode,
    RequestConflict,
    UnknownWorkflow,
)
from domain.inputs import InputError
from domain.platforms import PlatformValidationError

log = logging.getLogger("dagmaster.api")


STATUS_OF: dict[type[Exception], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    InputError: 400,
    NotFound: 404,
    UnknownWorkflow: 404,
    InstanceGone: 404,
    NoSuchJob: 404,
    NoSuchNode: 404,
    Conflict: 409,
    RequestConflict: 409,
    JobStateConflict: 409,
    PayloadTooLarge: 413,
    CatalogUnavailable: 503,
    # A broken registry file is the deployment's problem, named with file and line (readyz).
    PlatformValidationError: 503,
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
    return json_response(_clipped(body), status)


ECHO_CHARS = 300
"""Longest message or field text an error body carries; a longer one is cut and says so."""


def _clipped(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ECHO_CHARS:
        return f"{value[:ECHO_CHARS]}... ({len(value)} characters in all)"
    if isinstance(value, dict):
        return {k: _clipped(v) for k, v in value.items()}
    return value


Handler = Callable[..., Awaitable[func.HttpResponse]]


def json_errors(fn: Handler) -> Handler:
    """Every error becomes a JSON body naming the problem, with its status from `STATUS_OF`."""

    @wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> func.HttpResponse:
        try:
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, func.HttpRequest):
                    check_url(arg)
            return await fn(*args, **kwargs)
        except Exception as exc:
            return error_response(exc)

    return wrapper


__all__ = [
    "STATUS_OF",
    "ApiError",
    "BadRequest",
    "Conflict",
    "NotFound",
    "PayloadTooLarge",
    "error_response",
    "json_body",
    "json_errors",
    "json_response",
    "parse",
    "parse_query",
]
