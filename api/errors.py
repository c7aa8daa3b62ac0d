"""The API's own errors; `api.http.STATUS_OF` maps them (and the use cases' errors) to codes.

ApiError            message + details merged into the JSON body
├── BadRequest      400
├── Unauthorized    401
├── Forbidden       403
├── NotFound        404
├── Conflict        409
└── PayloadTooLarge 413
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request the API refuses; its HTTP status comes from `STATUS_OF`."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(ApiError):
    """The request is malformed or names bad values (400)."""


class Unauthorized(ApiError):
    """No valid key (401)."""


class Forbidden(ApiError):
    """A valid key that may not do this (403)."""


class NotFound(ApiError):
    """What the request names does not exist (404)."""


class Conflict(ApiError):
    """The request conflicts with the current state, e.g. of the job (409)."""


class PayloadTooLarge(ApiError):
    """The request body is larger than the API reads (413)."""
