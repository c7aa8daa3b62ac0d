"""What the asset routes read (``*Query``) and answer (``*View``, ``*Page``, ``*Answer``)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from adapters.catalog.assets import AssetRecord, AssetRevisionRecord, AssetVersionRecord
from domain.assets import Approval, Clearance, Processing, Publication
from domain.platforms import PlatformDefinition

MAX_PAGE = 1000


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AssetListQuery(_Query):
    platform_id: str | None = None
    clearance: Clearance | None = None
    approval: Approval | None = Field(default=None, description="of the latest version")
    processing: Processing | None = Field(default=None, description="of the latest version")
    deleted: bool | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE, description="items per page")
    cursor: str | None = Field(default=None, description="a next_cursor, unchanged")


class StatusQuery(_Query):
    platform_id: str | None = Field(
        default=None, description="needed only if several platforms used the request id"
    )


class SubmitAnswer(BaseModel):
    """``accepted``: the version exists and its job started; ``pending``: still deciding
    (follow ``links.command``)."""

    request_id: str
    asset_id: str
    version_ordinal: int | None = None
    job_id: str | None = None
    status: Literal["accepted", "pending"]
    links: dict[str, str]


class PlatformStatusView(BaseModel):
    request_id: str
    platform_id: str
    asset_id: str
    status: Literal["pending", "accepted", "refused"]
    version_ordinal: int | None = None
    job_id: str | None = None
    job_status: str | None = None
    processing: Processing | None = None
    approval: Approval | None = None
    clearance: Clearance | None = None
    outputs: dict[str, JsonValue] | None = None
    error: dict[str, JsonValue] | None = None


class PlatformPage(BaseModel):
    items: list[PlatformDefinition]


class VersionView(BaseModel):
    ordinal: int
    version_label: str | None
    request_id: str
    data_type: str
    workflow_id: str
    source: dict[str, JsonValue]
    processing: Processing
    approval: Approval
    job_id: str
    jobs: list[str] = Field(description="every job that processed it, oldest first")
    outputs: dict[str, JsonValue] | None
    error: dict[str, JsonValue] | None
    submitted_at: AwareDatetime
    submitted_by: str
    reviewed_at: AwareDatetime | None
    reviewed_by: str | None
    review_reason: str | None
    updated_at: AwareDatetime
    revision: int

    @classmethod
    def of(cls, record: AssetVersionRecord) -> VersionView:
        return cls.model_validate(record.model_dump(exclude={"asset_id"}))


class AssetView(BaseModel):
    asset_id: str
    platform_id: str
    identity: dict[str, str]
    title: str | None
    metadata: dict[str, JsonValue]
    revision: int
    clearance: Clearance
    public_ordinal: int | None = Field(
        description="the version a public asset publishes (its latest approved); null: none"
    )
    publication: Publication | None = Field(
        default=None,
        description="the latest publish or unpublish job: kind, job_id, ordinal, status "
        "(running, succeeded, failed), error",
    )
    deleted: bool
    latest_ordinal: int | None
    latest_processing: Processing | None
    latest_approval: Approval | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    versions: list[VersionView] | None = Field(default=None, description="GET one asset only")
    actions: list[str] | None = Field(
        default=None,
        description="GET one asset only: what reviewers may do with the asset as a whole now "
        "(submit, clearance:cleared, clearance:public, publication:retry, delete)",
    )

    @classmethod
    def of(
        cls,
        record: AssetRecord,
        versions: list[AssetVersionRecord] | None = None,
        actions: list[str] | None = None,
    ) -> AssetView:
        listed = None if versions is None else [VersionView.of(v) for v in versions]
        return cls.model_validate({**record.model_dump(), "versions": listed, "actions": actions})


class AssetPage(BaseModel):
    items: list[AssetView]
    next_cursor: str | None


class VersionPage(BaseModel):
    asset_id: str
    items: list[VersionView]


class RevisionView(BaseModel):
    revision: int
    at: AwareDatetime
    by: str = Field(description="who acted, as the request named them (see README, access)")
    via: str | None = Field(
        default=None,
        description="the credential that acted: platform:<id>, reviewer, entra:<name or oid> "
        "or open; null for dagmaster's own revisions and those recorded before it existed",
    )
    action: str
    reason: str | None
    ordinal: int | None
    command_id: str
    details: dict[str, JsonValue]

    @classmethod
    def of(cls, record: AssetRevisionRecord) -> RevisionView:
        return cls.model_validate(record.model_dump(exclude={"asset_id"}))


class HistoryPage(BaseModel):
    asset_id: str
    items: list[RevisionView]


class CommandAnswerView(BaseModel):
    """``done``: the asset applied the command (or answered a repeated request id as the
    first time, ``duplicate``); ``pending``: still running (follow ``links.command``)."""

    asset_id: str
    status: Literal["done", "pending"]
    command: str | None = None
    revision: int | None = None
    duplicate: bool = False
    result: dict[str, JsonValue] = Field(default_factory=dict)
    clearance: Clearance | None = None
    links: dict[str, str]
