"""Geospatial assets: identity, state, commands, events and outcomes (what the state
machine in `domain.asset_machine` reads and answers).

An asset is what a B2B platform handed over, identified by the platform and the platform's
identity fields; `asset_id_for` derives dagmaster's URL-safe key from them. Each submission
is a version (ordinal 1, 2, 3 ...): processing ``queued → processing → completed | failed``
(driven by its job), then approval ``pending → approved | rejected``. The asset's clearance
goes ``uncleared → cleared → public`` (and back to cleared); public needs an approved version.
A public, non-deleted asset publishes its latest approved version (``public_ordinal``); the
publish or unpublish job that makes it so is the asset's ``publication``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

# How many recent command ids an asset remembers (their first outcome, without the state).
# Commands arrive through orchestrations whose instance ids are derived from the request,
# so a duplicate normally comes soon after the original; this bounds the entity's state.
REMEMBERED_COMMANDS = 100
ASSET_ID_PATTERN = r"^[a-z0-9_]+-[0-9a-f]{32}$"


class Processing(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Approval(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Clearance(StrEnum):
    UNCLEARED = "uncleared"
    CLEARED = "cleared"
    PUBLIC = "public"


class PublicationKind(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"


class PublicationStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def publication_job_id(kind: PublicationKind, asset_id: str, revision: int) -> str:
    """The id of the publication job a revision starts (the same on every replay)."""
    return hashlib.sha256(f"{kind.value}\n{asset_id}\n{revision}".encode()).hexdigest()[:32]


def identity_key(identity_fields: list[str], identifiers: Mapping[str, str]) -> str:
    """The canonical text of an identity: the platform's fields in its order, as JSON."""
    return json.dumps(
        [[name, identifiers[name]] for name in identity_fields],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def asset_id_for(
    platform_id: str, identity_fields: list[str], identifiers: Mapping[str, str]
) -> str:
    """``<platform_id>-<32 hex>``: the same platform and identity always give the same id,
    which is safe unencoded in URLs and in Durable entity keys. Fields other than the
    platform's identity fields do not count."""
    canonical = f"{platform_id}\n{identity_key(identity_fields, identifiers)}"
    return f"{platform_id}-{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


# PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes); longer names are silently cut.
MAX_IDENTIFIER = 63
# How much of the platform id names its vector tables: with the 32 hex digits, "_" and
# "_v", a version's table name fits 63 bytes for every ordinal below 10**8.
_TABLE_PLATFORM_CHARS = 20


def asset_view(asset_id: str) -> str:
    """The stable SQL name of an asset's vector data, the same for all its versions:
    ``<platform[:20]>_<32 hex>``. Publishing makes it a view over the published version's
    table (in the public schema)."""
    platform, _, digest = asset_id.rpartition("-")
    return f"{platform[:_TABLE_PLATFORM_CHARS]}_{digest}"


def asset_table(asset_id: str, ordinal: int) -> str:
    """The SQL table one version's vector data loads into: ``<asset_view>_v<ordinal>``, a
    lower-case identifier of at most 63 bytes, so a new version never touches the rows of
    an approved one. ValueError for an ordinal that would not fit (10**8 and above)."""
    if ordinal < 1:
        raise ValueError(f"version ordinal {ordinal} is not a version (1, 2, 3 ...)")
    name = f"{asset_view(asset_id)}_v{ordinal}"
    if len(name) > MAX_IDENTIFIER:
        raise ValueError(f"table name {name!r} is longer than {MAX_IDENTIFIER} bytes")
    return name


class Source(BaseModel):
    container: str = Field(min_length=1)
    blob_path: str = Field(min_length=1)


class VersionState(BaseModel):
    ordinal: int = Field(ge=1)
    version_label: str | None = None
    request_id: str
    data_type: str
    workflow_id: str
    source: Source
    processing: Processing = Processing.QUEUED
    approval: Approval = Approval.PENDING
    job_id: str
    jobs: list[str] = Field(default_factory=list)  # every job that processed it, in order
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    submitted_at: datetime
    submitted_by: str
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    review_reason: str | None = None
    updated_at: datetime

    @property
    def unresolved(self) -> bool:
        """Processing, or completed and awaiting review: blocks a new submission."""
        if self.processing in (Processing.QUEUED, Processing.PROCESSING):
            return True
        return self.processing is Processing.COMPLETED and self.approval is Approval.PENDING


class Publication(BaseModel):
    """The asset's latest publish or unpublish job, and how it ended. ``ordinal``: the version
    a publish publishes, or the one an unpublish takes down (None if none was known).
    ``job_id`` is None for a publish that could not start (nothing indexed to publish)."""

    kind: PublicationKind
    job_id: str | None
    ordinal: int | None = None
    status: PublicationStatus = PublicationStatus.RUNNING
    error: dict[str, Any] | None = None
    started_at: datetime
    finished_at: datetime | None = None
    revision: int = Field(description="the asset revision that started it")

    @property
    def aim(self) -> int | None:
        """What is public once it succeeds: the published version, or nothing."""
        return self.ordinal if self.kind is PublicationKind.PUBLISH else None


class Refusal(BaseModel):
    """Why a command was not applied (HTTP: ``not_found`` 404, ``conflict`` 409,
    ``invalid`` 400)."""

    code: Literal["conflict", "not_found", "invalid"] = "conflict"
    message: str
    current: dict[str, Any] = Field(default_factory=dict)
    allowed: list[str] = Field(default_factory=list)


class CommandRecord(BaseModel):
    """What a command id answered the first time (the state is not kept)."""

    kind: str
    ok: bool
    revision: int
    result: dict[str, Any] = Field(default_factory=dict)
    refusal: Refusal | None = None


class AssetState(BaseModel):
    """The entity's state: small, plain JSON. The revision history lives in the read model."""

    asset_id: str
    platform_id: str
    identity: dict[str, str]
    identity_key: str  # `identity_key` of the identity: unique per platform in the read model
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    revision: int = 0
    clearance: Clearance = Clearance.UNCLEARED
    public_ordinal: int | None = None  # the version that should be public (see `publication`)
    publication: Publication | None = None
    deleted: bool = False
    created_at: datetime
    updated_at: datetime
    versions: list[VersionState] = Field(default_factory=list)
    commands: dict[str, CommandRecord] = Field(default_factory=dict)

    def version(self, ordinal: int) -> VersionState | None:
        return next((v for v in self.versions if v.ordinal == ordinal), None)

    def unresolved(self) -> VersionState | None:
        return next((v for v in self.versions if v.unresolved), None)

    def latest_approved(self) -> VersionState | None:
        approved = [v for v in self.versions if v.approval is Approval.APPROVED]
        return approved[-1] if approved else None


class _Command(BaseModel):
    command_id: str = Field(min_length=1)
    at: datetime
    by: str = Field(min_length=1)
    reason: str | None = None
    # The credential that acted (`domain.access.Caller.via`), set where the request is
    # authenticated; None for dagmaster's own reports and for commands from before it existed.
    via: str | None = None


class Submit(_Command):
    kind: Literal["submit"] = "submit"
    asset_id: str
    platform_id: str
    identity: dict[str, str]
    identity_key: str
    version_label: str | None = None
    request_id: str
    data_type: str
    workflow_id: str
    source: Source
    title: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    job_id: str  # used only if this creates a version


class JobStarted(_Command):
    kind: Literal["job_started"] = "job_started"
    job_id: str


class JobFinished(_Command):
    kind: Literal["job_finished"] = "job_finished"
    job_id: str
    ok: bool
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class Approve(_Command):
    kind: Literal["approve"] = "approve"
    ordinal: int


class Reject(_Command):
    kind: Literal["reject"] = "reject"
    ordinal: int


class Reprocess(_Command):
    kind: Literal["reprocess"] = "reprocess"
    ordinal: int
    job_id: str


class SetClearance(_Command):
    kind: Literal["set_clearance"] = "set_clearance"
    clearance: Literal[Clearance.CLEARED, Clearance.PUBLIC]


class Delete(_Command):
    kind: Literal["delete"] = "delete"


class RetryPublication(_Command):
    """Start the asset's failed publication again, toward the current target."""

    kind: Literal["retry_publication"] = "retry_publication"


AnyCommand = (
    Submit
    | JobStarted
    | JobFinished
    | Approve
    | Reject
    | Reprocess
    | SetClearance
    | Delete
    | RetryPublication
)
Command = Annotated[AnyCommand, Field(discriminator="kind")]
COMMAND: TypeAdapter[AnyCommand] = TypeAdapter(Command)


class AssetEvent(BaseModel):
    """One revision of an asset: who did what, why and when."""

    asset_id: str
    revision: int
    at: datetime
    by: str
    via: str | None = None  # the credential that acted (`_Command.via`)
    action: str
    reason: str | None = None
    ordinal: int | None = None
    command_id: str
    details: dict[str, Any] = Field(default_factory=dict)


class Outcome(BaseModel):
    """What `decide` answers: the new state (or the unchanged one), and what happened."""

    command_id: str
    kind: str
    ok: bool
    duplicate: bool = False
    changed: bool = False
    revision: int
    result: dict[str, Any] = Field(default_factory=dict)
    refusal: Refusal | None = None
    event: AssetEvent | None = None
    state: AssetState | None = None
