"""Probes: `livez` (the process answers), `readyz` (database and storage reachable), `health`."""

from __future__ import annotations

import asyncio
from typing import Any

import azure.functions as func

import wiring
from api import contract
from api.http import json_response
from api.models import Probe

bp = func.Blueprint()


def _check_database() -> dict[str, Any]:
    try:
        return {"ok": wiring.catalog().ping()}
    except Exception as exc:  # a probe reports, it does not raise
        return {"ok": False, "error": str(exc)}


def _check_storage() -> dict[str, Any]:
    try:
        return {"ok": wiring.blob_store().ping()}
    except Exception as exc:
        return {"ok": False, "error": str(exc)}


@contract.route(bp, "GET", "api/livez", Probe, auth_level=func.AuthLevel.ANONYMOUS)
async def livez(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"status": "ok"})


async def _checks() -> dict[str, dict[str, Any]]:
    database, storage = await asyncio.gather(
        asyncio.to_thread(_check_database), asyncio.to_thread(_check_storage)
    )
    return {"database": database, "storage": storage}


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
