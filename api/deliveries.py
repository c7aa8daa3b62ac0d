"""`GET /api/assets/{asset_id}/deliveries`: the asset's callback events, oldest first, each
with its attempts and last outcome (see domain.callbacks)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import azure.functions as func
from pydantic import BaseModel

import wiring
from adapters.catalog.callbacks import DeliveryRecord
from api import contract
from api.access import guard, own_platform
from api.http import NotFound, json_errors, json_response
from domain.access import Rule

bp = func.Blueprint()


class DeliveryView(BaseModel):
    event_id: str
    type: str
    url: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    event: dict[str, Any]

    @classmethod
    def of(cls, r: DeliveryRecord) -> DeliveryView:
        return cls(
            **r.model_dump(exclude={"event_type", "body", "seq", "asset_id", "platform_id"}),
            type=r.event_type,
            event=json.loads(r.body),
        )


class DeliveryPage(BaseModel):
    asset_id: str
    items: list[DeliveryView]


@contract.route(bp, "GET", "api/assets/{asset_id}/deliveries", DeliveryPage, errors=(404,))
@json_errors
@guard(Rule.READ)
async def asset_deliveries(req: func.HttpRequest) -> func.HttpResponse:
    """The asset's callback events, oldest first, with their attempts and last outcome."""
    asset_id = req.route_params["asset_id"]
    asset = await asyncio.to_thread(wiring.asset_catalog().get_asset, asset_id)
    if asset is None or own_platform() not in (None, asset.platform_id):
        raise NotFound(f"unknown asset '{asset_id}'")
    records = await asyncio.to_thread(wiring.callback_catalog().list_for_asset, asset_id)
    return json_response(
        DeliveryPage(asset_id=asset_id, items=[DeliveryView.of(r) for r in records])
    )
