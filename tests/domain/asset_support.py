"""Commands for the asset state machine, with defaults, for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.asset_machine import decide
from domain.assets import (
    Approve,
    AssetState,
    Delete,
    JobFinished,
    JobStarted,
    Outcome,
    Reject,
    Reprocess,
    SetClearance,
    Submit,
    asset_id_for,
    identity_key,
)

IDENTITY = {"dataset_id": "d1", "resource_id": "r1"}
FIELDS = ["dataset_id", "resource_id"]
ASSET_ID = asset_id_for("ddh", FIELDS, IDENTITY)
_ids = itertools.count(1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _base(**kw: Any) -> dict[str, Any]:
    n = next(_ids)
    return {"command_id": f"c{n}", "at": T0 + timedelta(seconds=n), "by": "ana", **kw}


def submit(label: str = "v1", **kw: Any) -> Submit:
    n = next(_ids)
    identity = kw.pop("identity", IDENTITY)
    fields = {
        "asset_id": asset_id_for("ddh", FIELDS, identity),
        "platform_id": "ddh",
        "identity": identity,
        "identity_key": identity_key(FIELDS, identity),
        "version_label": label,
        "request_id": f"req-{n}",
        "data_type": "raster",
        "workflow_id": "raster_ingest",
        "source": {"container": "raw", "blob_path": "a.tif"},
        "job_id": f"job-{n}",
    }
    return Submit(**_base(**{**fields, **kw}))


def started(job_id: str) -> JobStarted:
    return JobStarted(**_base(job_id=job_id, by="dagmaster"))


def finished(job_id: str, ok: bool = True) -> JobFinished:
    extra = {"outputs": {"stac_item_id": job_id}} if ok else {"error": {"message": "boom"}}
    return JobFinished(**_base(job_id=job_id, ok=ok, by="dagmaster", **extra))


def indexed(job_id: str) -> JobFinished:
    """A successful job report whose outputs name an indexed STAC item (raster_ingest)."""
    outputs = {"stac_item_id": f"item-{job_id}", "stac_collection": "ddh"}
    return JobFinished(**_base(job_id=job_id, ok=True, by="dagmaster", outputs=outputs))


def approve(ordinal: int = 1, **kw: Any) -> Approve:
    return Approve(**_base(ordinal=ordinal, reason="looks right", **kw))


def reject(ordinal: int = 1, reason: str | None = "wrong projection") -> Reject:
    return Reject(**_base(ordinal=ordinal, reason=reason))


def reprocess(ordinal: int = 1) -> Reprocess:
    n = next(_ids)
    return Reprocess(**_base(ordinal=ordinal, job_id=f"rejob-{n}", reason="retry"))


def clearance(target: str) -> SetClearance:
    return SetClearance(**_base(clearance=target, reason="policy"))


def delete() -> Delete:
    return Delete(**_base(reason="withdrawn"))


def apply(state: AssetState | None, *commands: Any) -> tuple[AssetState | None, Outcome]:
    """Decide each command in turn, keeping each new state like the entity does."""
    outcome = None
    for command in commands:
        outcome = decide(state, command)
        state = outcome.state if outcome.state is not None else state
    assert outcome is not None
    return state, outcome


def processed(ok: bool = True) -> AssetState:
    """An asset whose version 1 has finished processing (completed unless ``ok`` is False)."""
    first = submit()
    state, _ = apply(None, first, started(first.job_id), finished(first.job_id, ok))
    assert state is not None
    return state


def with_version(state: AssetState, label: str = "v2") -> AssetState:
    """``state`` with one more version, processed with an indexed STAC item."""
    more = submit(label)
    state, _ = apply(state, more, started(more.job_id), indexed(more.job_id))
    assert state is not None
    return state


def public(versions: int = 1) -> AssetState:
    """A public asset whose ``versions`` versions are all approved, each with an indexed STAC
    item; the publish job of the latest one is running."""
    first = submit()
    state, _ = apply(None, first, started(first.job_id), indexed(first.job_id), approve(1))
    assert state is not None
    for ordinal in range(2, versions + 1):
        state, _ = apply(with_version(state, f"v{ordinal}"), approve(ordinal))
    state, _ = apply(state, clearance("cleared"), clearance("public"))
    assert state is not None
    return state


def publication_done(state: AssetState, ok: bool = True) -> tuple[AssetState, Outcome]:
    """The running publication job of ``state`` reports its end."""
    assert state.publication is not None and state.publication.job_id is not None
    report = finished(state.publication.job_id, ok)
    new, outcome = apply(state, report)
    assert new is not None
    return new, outcome
