"""The callback activities: `emit_callbacks` (record events, wake the asset's delivery),
`next_callback` (the asset's oldest pending event) and `send_callback` (one signed POST)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import azure.durable_functions as df

import wiring
from activities.assets import start_job
from adapters import webhooks
from application.callbacks import destination_of
from config.base import SettingsError
from config.settings import OutboundSettings
from domain.asset_flow import AssetJob, StartAssetJob
from domain.callbacks import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    AttemptResult,
    BadCallbackUrl,
    CloseCallbacks,
    Delivered,
    DeliveryInput,
    EmitCallbacks,
    GiveUp,
    NoCallback,
    RetryPolicy,
    SendCallback,
    SendTo,
    VersionEvent,
    delivery_instance_id,
    next_step,
    sign,
)
from domain.names import (
    CALLBACK_KICK,
    CLOSE_CALLBACKS,
    DELIVER_CALLBACKS,
    EMIT_CALLBACKS,
    NEXT_CALLBACK,
    SEND_CALLBACK,
    START_PUBLICATION,
)
from domain.outbound import PublicationJob

bp = df.Blueprint()
log = logging.getLogger("dagmaster.callbacks")
# The url_settings already logged as unset: once per process, not once per event.
_UNSET_LOGGED: set[str] = set()


def policy() -> RetryPolicy:
    s = OutboundSettings.from_env()
    return RetryPolicy(
        max_attempts=s.max_attempts,
        initial_seconds=s.backoff_seconds,
        max_seconds=s.backoff_max_seconds,
    )


def record(events: list[VersionEvent]) -> set[str]:
    """Record each event of a platform with a callback URL (once by event_id); the assets to
    wake. A platform whose URL setting holds no valid URL gets its events logged, not sent."""
    catalog, platforms, woken = wiring.callback_catalog(), wiring.platforms(), set()
    settings = OutboundSettings.from_env()
    for event in events:
        entry = platforms.platforms.get(event.platform_id)
        if entry is None or entry.callback is None:
            continue  # no callback: nothing is sent
        where = destination_of(entry, settings)
        if not isinstance(where, SendTo):
            _not_recorded(event, where)
            continue
        catalog.enqueue(
            event_id=event.event_id,
            asset_id=event.asset_id,
            platform_id=event.platform_id,
            event_type=event.type.value,
            url=where.url,
            secret_setting=entry.callback.secret_setting,
            body=event.model_dump_json(),
        )
        woken.add(event.asset_id)
    return woken


def _not_recorded(event: VersionEvent, where: NoCallback | BadCallbackUrl) -> None:
    if isinstance(where, BadCallbackUrl):
        log.error(
            "callbacks: %s %s of platform %s not recorded: %s holds no callback URL: %s",
            event.type.value,
            event.event_id,
            event.platform_id,
            where.setting,
            where.problem,
        )
    elif where.unset_setting and where.unset_setting not in _UNSET_LOGGED:
        _UNSET_LOGGED.add(where.unset_setting)
        log.debug(
            "callbacks: platform %s gets none: %s is unset", event.platform_id, where.unset_setting
        )


async def wake(client: df.DurableOrchestrationClient, asset_id: str) -> None:
    """Start the asset's delivery orchestration, or wake it if it is running (idle). Called
    after the events are recorded: the generation comes from `runner_to_wake`, a new one if
    the last closed (it may still be completing, so never raise an event at that one)."""
    generation = await asyncio.to_thread(wiring.callback_catalog().runner_to_wake, asset_id)
    instance = delivery_instance_id(asset_id, generation)
    message = DeliveryInput(asset_id=asset_id, policy=policy(), generation=generation)
    start = message.model_dump(mode="json")
    last: Exception | None = None
    for _ in range(3):  # it may end between our two calls
        # The SDK raises a bare Exception both when the id is already running (start) and
        # when it is not (raise_event): try one, then the other, and keep the last reason.
        try:
            await client.start_new(DELIVER_CALLBACKS, instance, start)
            return
        except Exception as exc:
            last = exc
        try:
            await client.raise_event(instance, CALLBACK_KICK, None)
            return
        except Exception as exc:
            last = exc
    raise RuntimeError(f"could not start or wake {instance}: {last}") from last


@bp.activity_trigger(input_name="message", activity=EMIT_CALLBACKS)
@bp.durable_client_input(client_name="client")
async def emit_callbacks(message: dict[str, Any], client: df.DurableOrchestrationClient) -> int:
    events = EmitCallbacks.model_validate(message).events
    assets = await asyncio.to_thread(record, events)
    for asset_id in sorted(assets):
        await wake(client, asset_id)
    return len(assets)


@bp.activity_trigger(input_name="asset_id", activity=NEXT_CALLBACK)
def next_callback(asset_id: str) -> str | None:
    pending = wiring.callback_catalog().next_pending(asset_id)
    return None if pending is None else pending.event_id


@bp.activity_trigger(input_name="message", activity=CLOSE_CALLBACKS)
def close_callbacks(message: dict[str, Any]) -> str | None:
    close = CloseCallbacks.model_validate(message)
    return wiring.callback_catalog().close_if_idle(close.asset_id, close.generation)


def send(message: SendCallback) -> AttemptResult:
    """POST the event's recorded body, signed now, and record the attempt's outcome."""
    catalog = wiring.callback_catalog()
    delivery = catalog.get(message.event_id)
    if delivery is None or delivery.status != "pending":
        return AttemptResult(attempt=message.attempt, status_code=200)  # already final
    settings = OutboundSettings.from_env()
    body = delivery.body.encode()
    try:
        secret = settings.secret(delivery.secret_setting)
    except SettingsError as exc:  # nothing sent; retried, so setting it later delivers it
        result = AttemptResult(attempt=message.attempt, error=str(exc))
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "dagmaster-callbacks/1",
            SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_TYPE_HEADER: delivery.event_type,
        }
        timeout = settings.timeout_seconds
        result = webhooks.post(delivery.url, body, headers, timeout, message.attempt)
    step = next_step(result, message.policy)
    final = (
        "delivered"
        if isinstance(step, Delivered)
        else "failed"
        if isinstance(step, GiveUp)
        else None
    )
    error = step.reason if isinstance(step, GiveUp) else result.error
    catalog.record_attempt(message.event_id, message.attempt, result.status_code, error, final)
    return result


@bp.activity_trigger(input_name="message", activity=SEND_CALLBACK)
def send_callback(message: dict[str, Any]) -> dict[str, Any]:
    return send(SendCallback.model_validate(message)).model_dump(mode="json")


@bp.activity_trigger(input_name="message", activity=START_PUBLICATION)
@bp.durable_client_input(client_name="client")
async def start_publication(message: dict[str, Any], client: df.DurableOrchestrationClient) -> str:
    """Start a publish_asset or unpublish_asset job (once: its id comes from the revision).
    It reports its end to the asset like a version's job, which decides what it means."""
    publication = PublicationJob.model_validate(message)
    start = StartAssetJob(
        asset_id=publication.asset_id,
        ordinal=int(publication.inputs.get("version_ordinal", 1)),
        job_id=publication.job_id,
        job=AssetJob(workflow_id=publication.workflow_id, inputs=publication.inputs),
    )
    return await start_job(start, client)
