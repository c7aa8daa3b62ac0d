"""The asset API's access check (`domain.access`): `guard(rule)` on a route identifies the
caller by its key and refuses what it may not do; `own_platform()` is the platform a
route must narrow its answer to (None: no narrowing)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

import azure.functions as func

import wiring
from api.errors import Forbidden, Unauthorized
from config.settings import PlatformAccessSettings
from domain.access import KEY_HEADER, OPEN, Caller, Rule, authorize, identify

_caller: ContextVar[Caller] = ContextVar("dagmaster_caller", default=OPEN)
Handler = Callable[..., Awaitable[func.HttpResponse]]


def caller_of(req: func.HttpRequest) -> Caller | None:
    settings = PlatformAccessSettings.from_env()
    if settings.mode == "open":
        return OPEN
    platform_keys = {
        p.platform_id: settings.platform_key(p.api_key_setting)
        for p in wiring.platforms().all()
        if p.api_key_setting
    }
    reviewer = settings.reviewer_key.get_secret_value().encode() if settings.reviewer_key else None
    return identify(req.headers.get(KEY_HEADER), platform_keys, reviewer)


def guard(
    rule: Rule, platform_of: Callable[[func.HttpRequest], str | None] | None = None
) -> Callable[[Handler], Handler]:
    """Refuse the call unless its caller may do ``rule``; ``platform_of`` reads the platform a
    submission names. Place it under `json_errors`."""

    def wrap(fn: Handler) -> Handler:
        @wraps(fn)
        async def guarded(req: func.HttpRequest, *args: Any, **kwargs: Any) -> func.HttpResponse:
            caller = caller_of(req)
            named = platform_of(req) if platform_of is not None else None
            denied = authorize(caller, rule, named)
            if denied is not None:
                raise (Unauthorized if denied.status == 401 else Forbidden)(denied.message)
            assert caller is not None
            token = _caller.set(caller)
            try:
                return await fn(req, *args, **kwargs)
            finally:
                _caller.reset(token)

        return guarded

    return wrap


def own_platform() -> str | None:
    """The platform the current caller is limited to (None: it sees every platform)."""
    return _caller.get().own_platform


def body_platform(req: func.HttpRequest) -> str | None:
    """The ``platform_id`` a submission's body names (its parsing reports a bad body)."""
    try:
        named = json.loads(req.get_body() or b"{}").get("platform_id")
    except (ValueError, AttributeError):
        return None
    return named if isinstance(named, str) else None
