"""Asset pages: the list, one asset's versions, history and reviewer actions."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

import azure.durable_functions as df
import azure.functions as func
from pydantic import ValidationError

import wiring
from api.http import BadRequest, Conflict, NotFound
from application.assets import RetryBody, ReviewBody, actions, review
from console.web import ANONYMOUS, Page, bp, console_errors, page
from domain.assets import Approval, Clearance, Processing

PAGE_SIZE = 50
VERSION_ACTIONS = ("approve", "reject", "reprocess")
CLEARANCES = ("cleared", "public")
NOTICES = {
    "approve": "Version approved.",
    "reject": "Version rejected.",
    "reprocess": "Reprocessing started.",
    "cleared": "Asset cleared.",
    "public": "Asset made public.",
    "retry_publication": "Publication retried.",
    "pending": "The command is still running; reload in a moment.",
}


def _choice(req: func.HttpRequest, name: str, allowed: type[StrEnum]) -> str | None:
    value = req.params.get(name) or None
    if value is not None and value not in {m.value for m in allowed}:
        raise BadRequest(f"{name}: {value!r} is not one of {[m.value for m in allowed]}")
    return value


@bp.route(route="ui/assets", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def assets_page(req: func.HttpRequest) -> func.HttpResponse:
    p = page(req)
    filters: dict[str, Any] = {
        "platform_id": req.params.get("platform_id") or None,
        "clearance": _choice(req, "clearance", Clearance),
        "approval": _choice(req, "approval", Approval),
        "processing": _choice(req, "processing", Processing),
    }
    listing = await asyncio.to_thread(
        wiring.asset_catalog().list_assets,
        **filters,
        limit=PAGE_SIZE,
        cursor=req.params.get("cursor") or None,
    )
    kept = {k: v for k, v in filters.items() if v}
    next_url = None
    if listing.next_cursor:
        next_url = "/ui/assets?" + urlencode({**kept, "cursor": listing.next_cursor})
    return p.render(
        "assets.html",
        assets=listing.items,
        filters={k: v or "" for k, v in filters.items()},
        choices={"clearance": Clearance, "approval": Approval, "processing": Processing},
        next_url=next_url,
    )


@bp.route(route="ui/assets/{asset_id}", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def asset_page(req: func.HttpRequest) -> func.HttpResponse:
    p = page(req)
    asset_id = req.route_params["asset_id"]
    catalog = wiring.asset_catalog()
    asset = await asyncio.to_thread(catalog.get_asset, asset_id)
    if asset is None:
        raise NotFound(f"unknown asset '{asset_id}'")
    versions, history = await asyncio.gather(
        asyncio.to_thread(catalog.versions, asset_id),
        asyncio.to_thread(catalog.revisions, asset_id),
    )
    return p.render(
        "asset.html",
        asset=asset,
        versions=list(reversed(versions)),
        history=list(reversed(history)),
        clearances=CLEARANCES,
        actions=actions(asset, versions),
        notice=NOTICES.get(req.params.get("notice", "")),
    )


async def _act(
    p: Page,
    client: df.DurableOrchestrationClient,
    action: str,
    ordinal: int | None,
    body_model: type[ReviewBody] = ReviewBody,
) -> func.HttpResponse:
    form = p.form()
    asset_id = p.req.route_params["asset_id"]
    reason = form.get("reason", "").strip()
    try:
        body = body_model.model_validate({"reason": reason or None})  # None: left out
    except ValidationError:
        raise BadRequest("reason: say why (required, at most 2000 characters)") from None
    answer = await review(asset_id, action, body, p.user, client, ordinal, p.caller)
    outcome = answer.outcome
    if outcome is not None and not outcome.ok:
        refusal = outcome.refusal
        message = refusal.message if refusal else f"{action} refused"
        raise (NotFound if refusal and refusal.code == "not_found" else Conflict)(message)
    notice = action if outcome is not None else "pending"
    return p.redirect(f"/ui/assets/{quote(asset_id, safe='')}?notice={notice}")


def _ordinal(req: func.HttpRequest) -> int:
    raw = req.route_params["ordinal"]
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"ordinal: {raw!r} is not a version number (1, 2, ...)")
    return int(raw)


@bp.route(
    route="ui/assets/{asset_id}/versions/{ordinal}/{action}", methods=["POST"], auth_level=ANONYMOUS
)
@bp.durable_client_input(client_name="client")
@console_errors
async def version_action_from_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    p = page(req)
    action = req.route_params["action"]
    if action not in VERSION_ACTIONS:
        raise NotFound(f"no version action '{action}' (actions: {', '.join(VERSION_ACTIONS)})")
    return await _act(p, client, action, _ordinal(req))


@bp.route(
    route="ui/assets/{asset_id}/clearance/{clearance}", methods=["POST"], auth_level=ANONYMOUS
)
@bp.durable_client_input(client_name="client")
@console_errors
async def clearance_from_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    p = page(req)
    target = req.route_params["clearance"]
    if target not in CLEARANCES:
        raise NotFound(f"no clearance '{target}' to set ({', '.join(CLEARANCES)})")
    return await _act(p, client, target, None)


@bp.route(route="ui/assets/{asset_id}/publication/retry", methods=["POST"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def retry_publication_from_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _act(page(req), client, "retry_publication", None, RetryBody)


def awaiting_review(limit: int = 20) -> list[Any]:
    """Assets whose latest version is processed and waits for a reviewer."""
    page_ = wiring.asset_catalog().list_assets(
        approval=Approval.PENDING.value, processing=Processing.COMPLETED.value, limit=limit
    )
    return list(page_.items)
