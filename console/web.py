"""Rendering and responses for the console: the Jinja2 environment (autoescaping on), the
page context every handler starts from, and one table from exceptions to error pages."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import azure.durable_functions as df
import azure.functions as func
import jinja2

import wiring
from adapters.catalog import JobCatalog
from api.http import STATUS_OF
from console import security
from domain.access import Caller

log = logging.getLogger("dagmaster.console")
bp = df.Blueprint()
HERE = Path(__file__).resolve().parent
ANONYMOUS = func.AuthLevel.ANONYMOUS  # the console is behind App Service Authentication


def _json(value: Any, limit: int = 20_000) -> str:
    text = json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    return (
        text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"
    )


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None:
        return "—"
    return _seconds(((end or datetime.now(UTC)) - start).total_seconds())


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(
    pretty_json=_json, when=_when, seconds=_seconds, path=lambda v: quote(v, safe="")
)
ENV.globals.update(duration=_duration)


@dataclass(frozen=True)
class Page:
    """What every console request knows: the request, the acting user and the form token."""

    req: func.HttpRequest
    user: str
    csrf: str
    set_cookie: str | None
    caller: Caller  # whose credential acts (`domain.access.Caller.via`)

    def render(self, template: str, status: int = 200, **context: Any) -> func.HttpResponse:
        body = ENV.get_template(template).render(user=self.user, csrf=self.csrf, **context)
        return self._response(body, status, "text/html")

    def json(self, body: Any) -> func.HttpResponse:
        """``body`` as JSON with an ETag; 304 without a body when the client's
        ``If-None-Match`` names it (a poll of a graph that did not change costs headers)."""
        text = json.dumps(body, default=str, sort_keys=True)
        etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
        if self.req.headers.get("if-none-match") == etag:
            return self._response("", 304, "application/json", {"ETag": etag})
        return self._response(text, 200, "application/json", {"ETag": etag})

    def redirect(self, location: str) -> func.HttpResponse:
        return self._response("", 303, "text/plain", {"Location": location})

    def form(self) -> dict[str, str]:
        """The POSTed form, after the cross-site check (`security.Forbidden` if it fails)."""
        form = dict(
            parse_qsl(self.req.get_body().decode("utf-8", "replace"), keep_blank_values=True)
        )
        security.check_csrf(self.req, form)
        return form

    def _response(
        self, body: str, status: int, mimetype: str, headers: dict[str, str] | None = None
    ) -> func.HttpResponse:
        all_headers = {**security.SECURITY_HEADERS, **(headers or {})}
        if self.set_cookie:
            all_headers["Set-Cookie"] = self.set_cookie
        return func.HttpResponse(
            body, status_code=status, mimetype=mimetype, charset="utf-8", headers=all_headers
        )


def page(req: func.HttpRequest) -> Page:
    """The page context; raises `security.SignInRequired` when no user is signed in, and
    `security.Forbidden` for a user who may not use the console."""
    user = security.acting_user(req)
    caller = security.require_reviewer(req, user=user)
    token, cookie = security.csrf_token(req)
    return Page(req, user, token, cookie, caller)


async def catalog() -> JobCatalog:
    return await asyncio.to_thread(wiring.catalog)


# The API's table (api.http.STATUS_OF), and the console's own refusals.
_ERROR_STATUS: dict[type[Exception], int] = {
    security.Forbidden: 403,
    security.AuthNotConfigured: 503,
    **STATUS_OF,
}
Handler = Callable[..., Awaitable[func.HttpResponse]]


def error_page(req: func.HttpRequest, exc: Exception) -> func.HttpResponse:
    if isinstance(exc, security.SignInRequired):
        return func.HttpResponse(status_code=302, headers={"Location": security.sign_in_url(req)})
    status = next((code for kind, code in _ERROR_STATUS.items() if isinstance(exc, kind)), 500)
    if status == 500:
        log.exception("console page failed")
    message = str(exc) if status != 500 else "internal error (see the app's log)"
    body = ENV.get_template("error.html").render(user=None, status=status, message=message)
    return func.HttpResponse(
        body,
        status_code=status,
        mimetype="text/html",
        charset="utf-8",
        headers=security.SECURITY_HEADERS,
    )


def console_errors(fn: Handler) -> Handler:
    """Every error becomes an HTML page with its status (or a redirect to sign in)."""

    @wraps(fn)
    async def wrapper(req: func.HttpRequest, *args: Any, **kwargs: Any) -> func.HttpResponse:
        try:
            return await fn(req, *args, **kwargs)
        except Exception as exc:
            return error_page(req, exc)

    return wrapper
