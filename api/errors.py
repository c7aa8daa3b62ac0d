"""The API's own errors; `api.http.STATUS_OF` maps them (and the use cases' errors) to codes.

ApiError            message + details merged into the JSON body
├── BadRequest      400
├── NotFound        404
├── Conflict        409
└── PayloadTooLarge 413
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413
