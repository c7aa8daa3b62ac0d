"""What an asset command's outcome sends out: the callback events, and a publish or unpublish.

The command orchestration asks `outbound_for` after the entity answered; everything here is
derived from the outcome alone (ids included), so a replayed orchestration decides the same.

    processing_completed / _failed, approved, rejected  → that version event
    published (clearance public) or approved while public → asset.published + publish_asset
    unpublished (clearance back to cleared), deleted while public → unpublish_asset
    deleted                                               → asset.deleted
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel

from domain.assets import AssetState, Outcome
from domain.callbacks import EventType, VersionEvent

_VERSION_EVENTS = {
    "processing_completed": EventType.PROCESSING_COMPLETED,
    "processing_failed": EventType.PROCESSING_FAILED,
    "approved": EventType.APPROVED,
    "rejected": EventType.REJECTED,
}
PUBLISH_WORKFLOW = "publish_asset"
UNPUBLISH_WORKFLOW = "unpublish_asset"


class PublicationJob(BaseModel):
    """A publish_asset or unpublish_asset job to start (job id derived from the revision)."""

    asset_id: str
    job_id: str
    workflow_id: str
    inputs: dict[str, Any]


class Outbound(BaseModel):
    events: list[VersionEvent] = []
    publication: PublicationJob | None = None


def outbound_for(outcome: Outcome) -> Outbound:
    """The events and publication of a changed outcome (a refusal or duplicate: none)."""
    event, state = outcome.event, outcome.state
    if not outcome.ok or outcome.duplicate or event is None or state is None:
        return Outbound()
    types: list[EventType] = []
    if event.action in _VERSION_EVENTS:
        types.append(_VERSION_EVENTS[event.action])
    publication = None
    published = event.details.get("published_ordinal")
    if event.action in ("published", "approved") and isinstance(published, int):
        publication = _publish(state, published, event.revision)
        types.append(EventType.PUBLISHED)
    unpublished = event.details.get("unpublished_ordinal")
    if event.action in ("unpublished", "deleted") and isinstance(unpublished, int):
        publication = _unpublish(state, event.revision)
        types.append(EventType.UNPUBLISHED)
    if event.action == "deleted":
        types.append(EventType.DELETED)
    ordinal = published if isinstance(published, int) else event.ordinal
    if ordinal is None and isinstance(unpublished, int):
        ordinal = unpublished
    events = [_event(state, outcome, t, ordinal, publication) for t in types]
    return Outbound(events=events, publication=publication)


def _job_id(kind: str, asset_id: str, revision: int) -> str:
    return hashlib.sha256(f"{kind}\n{asset_id}\n{revision}".encode()).hexdigest()[:32]


def _publish(state: AssetState, ordinal: int, revision: int) -> PublicationJob | None:
    version = state.version(ordinal)
    outputs = (version.outputs or {}) if version else {}
    item, collection = outputs.get("stac_item_id"), outputs.get("stac_collection")
    if not (isinstance(item, str) and isinstance(collection, str)):
        return None  # nothing indexed to publish (e.g. a workflow without a STAC item)
    return PublicationJob(
        asset_id=state.asset_id,
        job_id=_job_id("publish", state.asset_id, revision),
        workflow_id=PUBLISH_WORKFLOW,
        inputs={
            "asset_id": state.asset_id,
            "version_ordinal": ordinal,
            "stac_collection": collection,
            "stac_item_id": item,
        },
    )


def _unpublish(state: AssetState, revision: int) -> PublicationJob:
    return PublicationJob(
        asset_id=state.asset_id,
        job_id=_job_id("unpublish", state.asset_id, revision),
        workflow_id=UNPUBLISH_WORKFLOW,
        inputs={"asset_id": state.asset_id},
    )


def _event(
    state: AssetState,
    outcome: Outcome,
    type_: EventType,
    ordinal: int | None,
    publication: PublicationJob | None,
) -> VersionEvent:
    assert outcome.event is not None
    version = state.version(ordinal) if ordinal is not None else None
    seed = f"{state.asset_id}\n{outcome.event.revision}\n{type_.value}"
    outputs = version.outputs if version and type_ is EventType.PROCESSING_COMPLETED else None
    if publication is not None and type_ in (EventType.PUBLISHED, EventType.UNPUBLISHED):
        outputs = {"job_id": publication.job_id, "workflow_id": publication.workflow_id}
    return VersionEvent(
        event_id="evt_" + hashlib.sha256(seed.encode()).hexdigest()[:32],
        type=type_,
        occurred_at=outcome.event.at,
        platform_id=state.platform_id,
        request_id=version.request_id if version else None,
        asset_id=state.asset_id,
        version_ordinal=ordinal,
        identifiers=state.identity,
        version_label=version.version_label if version else None,
        state={
            "processing": version.processing.value if version else None,
            "approval": version.approval.value if version else None,
            "clearance": state.clearance.value,
            "deleted": state.deleted,
            "revision": outcome.event.revision,
        },
        outputs=outputs,
        error=version.error if version and type_ is EventType.PROCESSING_FAILED else None,
    )
