"""The API's access check (`domain.access`): `guard(rule)` on a route identifies the caller
by its credential (``DAGMASTER_ACCESS``: a key, or App Service Authentication's principal)
and refuses what it may not do; `own_platform()` is the platform a route must narrow its
answer to (None: no narrowing), `sees(owner)` whether the caller may see what a platform
owns. `unidentifiable_callers()` says who cannot authenticate with the current settings
(readyz)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

import azure.functions as func

import wiring
from api.errors import Forbidden, Unauthorized
from config.settings import ConsoleSettings, PlatformAccessSettings
from domain.access import (
    KEY_HEADER,
    OPEN,
    PRINCIPAL_HEADER,
    Caller,
    Rule,
    Unidentifiable,
    authorize,
    identify,
    identify_principal,
    read_principal,
    unidentifiable,
)
from domain.platforms import PlatformDefinition, PlatformValidationError

_caller: ContextVar[Caller] = ContextVar("dagmaster_caller", default=OPEN)
Handler = Callable[..., Awaitable[func.HttpResponse]]


def caller_of(req: func.HttpRequest, settings: PlatformAccessSettings) -> Caller | None:
    """Who sends ``req`` (None: nobody the settings know)."""
    if settings.mode == "open":
        return OPEN
    try:
        registry = wiring.platforms().all()
    except PlatformValidationError:
        # Reviewers are identified without the registry, so they can still read and act
        # while it is broken; a platform's caller gets the registry's own error (503).
        reviewer = _identify(req, settings, [])
        if reviewer is None:
            raise
        return reviewer
    return _identify(req, settings, registry)


def _identify(
    req: func.HttpRequest, settings: PlatformAccessSettings, registry: list[PlatformDefinition]
) -> Caller | None:
    if settings.mode == "keys":
        platform_keys = {
            p.platform_id: settings.platform_key(p.api_key_setting)
            for p in registry
            if p.api_key_setting
        }
        reviewer = settings.reviewer_key
        reviewer_key = reviewer.get_secret_value().encode() if reviewer else None
        return identify(req.headers.get(KEY_HEADER), platform_keys, reviewer_key)
    # entra: the principal header is trustworthy only behind App Service Authentication,
    # which strips any X-MS-* header a client sends.
    if not ConsoleSettings.from_env().auth_enabled:
        return None
    apps = {p.platform_id: p.entra_app_id for p in registry if p.entra_app_id}
    return identify_principal(read_principal(req.headers.get(PRINCIPAL_HEADER)), apps)


def guard(
    rule: Rule, platform_of: Callable[[func.HttpRequest], str | None] | None = None
) -> Callable[[Handler], Handler]:
    """Refuse the call unless its caller may do ``rule``; ``platform_of`` reads the platform a
    submission names. Place it under `json_errors`."""

    def wrap(fn: Handler) -> Handler:
        @wraps(fn)
        async def guarded(req: func.HttpRequest, *args: Any, **kwargs: Any) -> func.HttpResponse:
            settings = PlatformAccessSettings.from_env()
            caller = caller_of(req, settings)
            named = platform_of(req) if platform_of is not None else None
            denied = authorize(caller, rule, named, settings.mode)
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


def current_caller() -> Caller:
    """The caller `guard` identified for the current request (`OPEN` outside a guard)."""
    return _caller.get()


def own_platform() -> str | None:
    """The platform the current caller is limited to (None: it sees every platform)."""
    return _caller.get().own_platform


def sees(owner: str | None) -> bool:
    """Whether the current caller may see what belongs to platform ``owner``."""
    return _caller.get().sees(owner)


def body_platform(req: func.HttpRequest) -> str | None:
    """The ``platform_id`` a submission's body names (its parsing reports a bad body)."""
    try:
        named = json.loads(req.get_body() or b"{}").get("platform_id")
    except (ValueError, AttributeError):
        return None
    return named if isinstance(named, str) else None


def unidentifiable_callers() -> tuple[Unidentifiable, dict[str, str]]:
    """Who cannot authenticate with the current settings, and for the log (never for an
    answer) the app setting each platform is missing."""
    settings = PlatformAccessSettings.from_env()
    if settings.mode == "open":
        return Unidentifiable(), {}
    credentials: dict[str, str | None] = {}
    unset: dict[str, str] = {}
    for p in wiring.platforms().all():
        if not p.active:
            continue
        if settings.mode == "entra":
            credentials[p.platform_id] = None if p.entra_app_id else "no entra_app_id"
        elif not p.api_key_setting:
            credentials[p.platform_id] = "no api_key_setting"
        elif not settings.platform_key(p.api_key_setting):
            credentials[p.platform_id] = "its api_key_setting is unset"
            unset[p.platform_id] = p.api_key_setting
        else:
            credentials[p.platform_id] = None
    found = unidentifiable(
        settings.mode,
        credentials,
        reviewer_credential=settings.reviewer_key is not None,
        authentication_enabled=ConsoleSettings.from_env().auth_enabled,
    )
    return found, unset
