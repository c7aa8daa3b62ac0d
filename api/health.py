"""Probes: `livez` (the process answers), `readyz` (database, storage, workflows, the platform
registry, who can authenticate and whose callback URL setting is invalid), `health`.

They are anonymous, so they say up or down and why in a few words, never how a dependency
is reached (no user, host, port or database name): the full error goes to the log. Every
check is bounded by `DAGMASTER_PROBE_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import NotRequired, TypedDict

import azure.functions as func

import wiring
from api import contract
from api.access import unidentifiable_callers
from api.http import json_response
from api.models import Probe
from application.callbacks import invalid_callback_urls
from config.settings import AccessSettings
from domain.platforms import PlatformValidationError

bp = func.Blueprint()
log = logging.getLogger("dagmaster.health")


class Check(TypedDict):
    """One dependency's verdict, as `readyz` and `health` show it."""

    ok: bool
    reason: NotRequired[str]  # why it is down, in a few words
    errors: NotRequired[list[str]]  # the workflow or registry files' problems, with file:line
    # access, callbacks: platform id -> why it cannot authenticate, or gets no callbacks
    platforms: NotRequired[dict[str, str]]
    reviewers: NotRequired[str]  # access: why reviewers cannot
    everybody: NotRequired[str]  # access: why nobody can


# A check that outlives its timeout keeps its thread until the client gives up; on threads
# of their own, hung checks never hold up the app's requests (they share the default pool).
_PROBE_THREADS = ThreadPoolExecutor(max_workers=6, thread_name_prefix="probe")


def _check_database(timeout: float) -> Check:
    if wiring.catalog().ping(timeout=timeout):
        return {"ok": True}
    return {"ok": False, "reason": "no answer to a query"}


def _check_storage(timeout: float) -> Check:
    wiring.blob_store().ping(timeout=timeout)
    return {"ok": True}


def _check_workflows(timeout: float) -> Check:
    problems = [str(p) for p in wiring.workflows().problems]
    if not problems:
        return {"ok": True}
    return {
        "ok": False,
        "reason": f"{len(problems)} problem(s) left workflow files out",
        "errors": problems,
    }


def _check_platforms(timeout: float) -> Check:
    try:
        wiring.platforms()
    except PlatformValidationError as exc:
        problems = [str(p) for p in exc.problems]
        return {
            "ok": False,
            "reason": f"{len(problems)} problem(s) in the registry",
            "errors": problems,
        }
    return {"ok": True}


def _check_access(timeout: float) -> Check:
    """Which platforms (or reviewers) cannot authenticate with the current settings: named
    here by platform id, each app setting it misses named in the log only. The others keep
    working."""
    try:
        found, unset = unidentifiable_callers()
    except PlatformValidationError:
        return {"ok": False, "reason": "no platform can authenticate: the registry is invalid"}
    if found.ok:
        return {"ok": True}
    for platform_id, name in unset.items():
        log.warning("access: platform %s cannot authenticate: %s is unset", platform_id, name)
    check: Check = {"ok": False, "reason": "some callers cannot authenticate"}
    if found.platforms:
        check["platforms"] = dict(found.platforms)
    if found.reviewers:
        check["reviewers"] = found.reviewers
    if found.everybody:
        check["everybody"] = found.everybody
    return check


def _check_callbacks(timeout: float) -> Check:
    """The platforms whose callback URL setting holds no valid URL (their events are not
    recorded): named here by platform id, the setting and its problem in the log only."""
    try:
        bad = invalid_callback_urls(wiring.platforms().all())
    except PlatformValidationError:
        return {"ok": False, "reason": "the registry is invalid"}
    if not bad:
        return {"ok": True}
    for platform_id, found in bad.items():
        log.warning("callbacks: platform %s: %s: %s", platform_id, found.setting, found.problem)
    return {
        "ok": False,
        "reason": "some platforms get no callbacks",
        "platforms": {p: "its callback url_setting holds no valid URL" for p in bad},
    }


async def _bounded(name: str, check: Callable[[float], Check], timeout: float) -> Check:
    """The check's verdict within ``timeout`` seconds; a failure is reported by its kind."""
    running = asyncio.get_running_loop().run_in_executor(_PROBE_THREADS, check, timeout)
    try:
        return await asyncio.wait_for(running, timeout)
    except TimeoutError:  # ours, or the check's own client giving up at the same time
        log.warning("readiness: %s gave no answer within %g s", name, timeout)
        return {"ok": False, "reason": f"no answer within {timeout:g} s"}
    except Exception as exc:  # a probe reports, it does not raise
        log.warning("readiness: %s is down: %s", name, exc)
        return {"ok": False, "reason": f"unreachable ({type(exc).__name__})"}


async def _checks() -> dict[str, Check]:
    timeout = AccessSettings.from_env().probe_timeout_seconds
    checks = {
        "database": _check_database,
        "storage": _check_storage,
        "workflows": _check_workflows,
        "platforms": _check_platforms,
        "access": _check_access,
        "callbacks": _check_callbacks,
    }
    verdicts = await asyncio.gather(*(_bounded(n, c, timeout) for n, c in checks.items()))
    return dict(zip(checks, verdicts, strict=True))


@contract.route(bp, "GET", "api/livez", Probe, auth_level=func.AuthLevel.ANONYMOUS)
async def livez(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"status": "ok"})


@contract.route(bp, "GET", "api/readyz", Probe, auth_level=func.AuthLevel.ANONYMOUS)
async def readyz(req: func.HttpRequest) -> func.HttpResponse:
    checks = await _checks()
    ready = all(c["ok"] for c in checks.values())
    return json_response(
        {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )


@contract.route(bp, "GET", "api/health", Probe, auth_level=func.AuthLevel.ANONYMOUS)
async def health(req: func.HttpRequest) -> func.HttpResponse:
    checks = await _checks()
    return json_response(
        {
            "status": "ok" if all(c["ok"] for c in checks.values()) else "degraded",
            "checks": checks,
            "workflows": len(wiring.workflows().workflows),
        }
    )
