"""What an asset command's outcome sends out: the callback events, and a publish or unpublish.

The command orchestration asks `outbound_for` after the entity answered; everything here is
derived from the outcome alone (ids included), so a replayed orchestration decides the same.

    processing_completed / _failed, approved, rejected  → that version event
    a command that moved the public target (details ``publication_started``)
                                                   → start publish_asset / unpublish_asset
    the publication job's end (``publication_finished``, not superseded)
                                                   → asset.published / asset.unpublished /
                                                     asset.publication_failed
    deleted                                        → asset.deleted

So ``asset.published`` and ``asset.unpublished`` go out when the job has done it, not when it
was asked for; a job superseded by a newer target ends silently (the machine starts the next).
Outcomes of the machine before publications were tracked (``published_ordinal`` /
``unpublished_ordinal`` in the details) keep their old meaning, `_legacy_outbound`, so an
`asset_command` instance in flight across the upgrade replays the same decisions.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel

from domain.assets import (
    AssetState,
    Outcome,
    Publication,
    PublicationKind,
    PublicationStatus,
    publication_job_id,
)
from domain.callbacks import EventType, VersionEvent

_VERSION_EVENTS = {
    "processing_completed": EventType.PROCESSING_COMPLETED,
    "processing_failed": EventType.PROCESSING_FAILED,
    "approved": EventType.APPROVED,
    "rejected": EventType.REJECTED,
}
PUBLISH_WORKFLOW = "publish_asset"
UNPUBLISH_WORKFLOW = "unpublish_asset"
_WORKFLOWS = {
    PublicationKind.PUBLISH: PUBLISH_WORKFLOW,
    PublicationKind.UNPUBLISH: UNPUBLISH_WORKFLOW,
}


class PublicationJob(BaseModel):
    """A publish_asset or unpublish_asset job to start (job id derived from the revision)."""

    asset_id: str
    job_id: str
    workflow_id: str
    inputs: dict[str, Any]


class Outbound(BaseModel):
    """What to send and start. ``events_first``: record the events before starting the job, so
    they precede whatever the job's end sends (an outcome of the previous machine started the
    job first, and replays keep that order)."""

    events: list[VersionEvent] = []
    publication: PublicationJob | None = None
    events_first: bool = True


def outbound_for(outcome: Outcome) -> Outbound:
    """The events and publication of a changed outcome (a refusal or duplicate: none)."""
    event, state = outcome.event, outcome.state
    if not outcome.ok or outcome.duplicate or event is None or state is None:
        return Outbound()
    if "published_ordinal" in event.details or "unpublished_ordinal" in event.details:
        return _legacy_outbound(outcome, state)
    events: list[VersionEvent] = []
    if event.action in _VERSION_EVENTS:
        events.append(_event(state, outcome, _VERSION_EVENTS[event.action], event.ordinal))
    finished = event.details.get("publication_finished")
    if isinstance(finished, dict) and not event.details.get("superseded"):
        events.append(_publication_event(state, outcome, Publication.model_validate(finished)))
    job = None
    started = event.details.get("publication_started")
    if isinstance(started, dict):
        publication = Publication.model_validate(started)
        job = _job(state, publication)
        if job is None:  # could not start (nothing indexed): reported as failed at once
            events.append(_publication_event(state, outcome, publication))
    if event.action == "deleted":
        events.append(_event(state, outcome, EventType.DELETED, None))
    return Outbound(events=events, publication=job)


def _publication_event(state: AssetState, outcome: Outcome, pub: Publication) -> VersionEvent:
    if pub.status is PublicationStatus.FAILED:
        type_ = EventType.PUBLICATION_FAILED
    elif pub.kind is PublicationKind.PUBLISH:
        type_ = EventType.PUBLISHED
    else:
        type_ = EventType.UNPUBLISHED
    outputs: dict[str, Any] = {"kind": pub.kind.value, "job_id": pub.job_id}
    if pub.job_id is not None:
        outputs["workflow_id"] = _WORKFLOWS[pub.kind]
    assert outcome.event is not None
    job_outputs = outcome.event.details.get("outputs")
    if isinstance(job_outputs, dict):
        outputs.update(job_outputs)
    return _event(state, outcome, type_, pub.ordinal, outputs=outputs, error=pub.error)


def _job(state: AssetState, pub: Publication) -> PublicationJob | None:
    if pub.job_id is None or pub.status is not PublicationStatus.RUNNING:
        return None
    inputs: dict[str, Any] = {"asset_id": state.asset_id}
    if pub.kind is PublicationKind.PUBLISH:
        assert pub.ordinal is not None
        version = state.version(pub.ordinal)
        outputs = (version.outputs or {}) if version else {}
        inputs.update(
            version_ordinal=pub.ordinal,
            stac_collection=outputs.get("stac_collection"),
            stac_item_id=outputs.get("stac_item_id"),
        )
    return PublicationJob(
        asset_id=state.asset_id, job_id=pub.job_id, workflow_id=_WORKFLOWS[pub.kind], inputs=inputs
    )


def _event(
    state: AssetState,
    outcome: Outcome,
    type_: EventType,
    ordinal: int | None,
    *,
    outputs: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> VersionEvent:
    """One callback event; its id comes from the asset, the revision and the type, so a
    replay or a retried delivery carries the same ``event_id``."""
    assert outcome.event is not None
    version = state.version(ordinal) if ordinal is not None else None
    seed = f"{state.asset_id}\n{outcome.event.revision}\n{type_.value}"
    if version and type_ is EventType.PROCESSING_COMPLETED:
        outputs = version.outputs
    if version and type_ is EventType.PROCESSING_FAILED:
        error = version.error
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
            "public_ordinal": state.public_ordinal,
        },
        outputs=outputs,
        error=error,
    )


# --- outcomes decided before publications were tracked (see the module docstring) ----------


def _legacy_outbound(outcome: Outcome, state: AssetState) -> Outbound:
    """The decisions the previous machine's outcomes meant: publish/unpublish at once, with
    ``asset.published`` / ``asset.unpublished`` sent as the job starts."""
    event = outcome.event
    assert event is not None
    types: list[EventType] = []
    if event.action in _VERSION_EVENTS:
        types.append(_VERSION_EVENTS[event.action])
    publication = None
    published = event.details.get("published_ordinal")
    if event.action in ("published", "approved") and isinstance(published, int):
        publication = _legacy_publish(state, published, event.revision)
        types.append(EventType.PUBLISHED)
    unpublished = event.details.get("unpublished_ordinal")
    if event.action in ("unpublished", "deleted") and isinstance(unpublished, int):
        publication = PublicationJob(
            asset_id=state.asset_id,
            job_id=publication_job_id(PublicationKind.UNPUBLISH, state.asset_id, event.revision),
            workflow_id=UNPUBLISH_WORKFLOW,
            inputs={"asset_id": state.asset_id},
        )
        types.append(EventType.UNPUBLISHED)
    if event.action == "deleted":
        types.append(EventType.DELETED)
    ordinal = published if isinstance(published, int) else event.ordinal
    if ordinal is None and isinstance(unpublished, int):
        ordinal = unpublished
    events = []
    for t in types:
        outputs = None
        if publication is not None and t in (EventType.PUBLISHED, EventType.UNPUBLISHED):
            outputs = {"job_id": publication.job_id, "workflow_id": publication.workflow_id}
        events.append(_event(state, outcome, t, ordinal, outputs=outputs))
    return Outbound(events=events, publication=publication, events_first=False)


def _legacy_publish(state: AssetState, ordinal: int, revision: int) -> PublicationJob | None:
    version = state.version(ordinal)
    outputs = (version.outputs or {}) if version else {}
    item, collection = outputs.get("stac_item_id"), outputs.get("stac_collection")
    if not (isinstance(item, str) and isinstance(collection, str)):
        return None
    return PublicationJob(
        asset_id=state.asset_id,
        job_id=publication_job_id(PublicationKind.PUBLISH, state.asset_id, revision),
        workflow_id=PUBLISH_WORKFLOW,
        inputs={
            "asset_id": state.asset_id,
            "version_ordinal": ordinal,
            "stac_collection": collection,
            "stac_item_id": item,
        },
    )
