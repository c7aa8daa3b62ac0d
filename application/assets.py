"""Asset use cases: a B2B submission and the reviewers' commands, with no HTTP in them.

Each builds one `domain.assets` command, starts the `asset_command` orchestration under an
instance id derived from the request (a retry finds the running or finished instance
instead of acting twice) and waits briefly for its outcome.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

import wiring
from adapters.catalog.assets import AssetRecord, AssetVersionRecord
from application.errors import InvalidRequest, RequestConflict
from application.platforms import ensure_projected
from application.workflows import find
from domain.access import OPEN, Caller
from domain.asset_flow import AssetCommandInput, AssetJob, RequestRef, command_instance_id
from domain.asset_machine import asset_actions
from domain.assets import (
    AnyCommand,
    Approve,
    AssetState,
    Delete,
    Outcome,
    Reject,
    Reprocess,
    RetryPublication,
    SetClearance,
    Submit,
    asset_id_for,
    asset_table,
    identity_key,
)
from domain.inputs import InputError, resolve_inputs
from domain.names import ASSET_COMMAND
from domain.platforms import PlatformDefinition

# How long a use case waits for the command's outcome before answering "pending".
WAIT_SECONDS = 15.0
_POLL_SECONDS = 0.05


class DurableCommander(Protocol):
    """The part of `df.DurableOrchestrationClient` the use cases need."""

    async def get_status(self, instance_id: str) -> Any: ...

    async def start_new(
        self, orchestration_function_name: str, instance_id: str | None, client_input: Any
    ) -> str: ...


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SourceBody(_Strict):
    container: str = Field(min_length=1)
    blob_path: str = Field(min_length=1)


class SubmitBody(_Strict):
    """`POST /api/platform/submit`."""

    platform_id: str = Field(min_length=1)
    request_id: str | None = Field(default=None, min_length=1, max_length=200)
    identifiers: dict[str, str]
    data_type: str = Field(min_length=1)
    source: SourceBody
    title: str | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)


class ReviewBody(_Strict):
    """The body of every reviewer command. ``by`` only where no principal is available;
    the same ``request_id`` again returns the first answer instead of acting twice."""

    by: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    request_id: str | None = Field(default=None, min_length=1, max_length=200)


class RetryBody(ReviewBody):
    """`POST /api/assets/{asset_id}/publication/retry`: as every reviewer command, but the
    reason may be left out (retrying after the cause is mended needs none)."""

    reason: str | None = Field(default=None, min_length=1, max_length=2000)  # type: ignore[assignment]


@dataclass(frozen=True)
class CommandAnswer:
    """``outcome`` None: the command has not finished within `WAIT_SECONDS`."""

    asset_id: str
    instance_id: str
    outcome: Outcome | None
    request_id: str | None = None


def actor(caller: Caller, principal: str | None, by: str | None) -> str:
    """Who acts: the Entra principal App Service Authentication vouched for (a claimed
    ``by`` or principal header is ignored); else, as claimed (a shared key names nobody),
    the principal header, else ``by`` from the body. `Caller.via` records the credential."""
    if caller.principal:
        return caller.principal
    if principal:
        if by and by != principal:
            raise InvalidRequest(
                "by does not match the signed-in caller",
                {"by": f"the caller is signed in as {principal!r}; leave 'by' out"},
            )
        return principal
    if not by:
        raise InvalidRequest(
            "who acts is unknown", {"by": "required when no signed-in principal is available"}
        )
    return by


def _platform(platform_id: str, problems: dict[str, str]) -> PlatformDefinition | None:
    try:
        platform = wiring.platforms().get(platform_id)
    except KeyError:
        known = ", ".join(p.platform_id for p in wiring.platforms().all())
        problems["platform_id"] = f"unknown platform {platform_id!r} (known: {known})"
        return None
    if not platform.active:
        problems["platform_id"] = f"platform {platform_id!r} is not active"
        return None
    return platform


def _job(
    platform: PlatformDefinition,
    data_type: str,
    source: dict[str, str],
    problems: dict[str, str],
    asset_id: str | None,
) -> AssetJob | None:
    entry = platform.data_types.get(data_type)
    if entry is None:
        supported = ", ".join(sorted(platform.data_types))
        problems["data_type"] = (
            f"{data_type!r} is not a data type of {platform.platform_id} (supported: {supported})"
        )
        return None
    definition = find(entry.workflow_id, entry.version)
    table_input = entry.asset_table_input
    try:
        # The version's table is named once the entity has given it an ordinal
        # (`job_to_start`); here a valid stand-in lets only real input problems be reported,
        # also without an asset id (its identity fields are missing, already a problem).
        stand_in = asset_table(asset_id, 1) if asset_id else "unidentified_asset"
        table = {table_input: stand_in} if table_input else {}
        inputs = resolve_inputs(definition, {**entry.inputs, **table, **source})
    except InputError as exc:
        problems.update({f"inputs.{k}": v for k, v in exc.problems.items()})
        return None
    if table_input:
        del inputs[table_input]
    return AssetJob(
        workflow_id=definition.workflow_id,
        version=definition.version,
        inputs=inputs,
        table_input=table_input,
    )


def _body_hash(body: SubmitBody) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def submit(
    body: SubmitBody, principal: str | None, client: DurableCommander, caller: Caller = OPEN
) -> CommandAnswer:
    """A new version of the asset the identifiers name (created on first submission).

    Raises `InvalidRequest` naming every bad field, `RequestConflict` for a reused
    request id with another body."""
    problems: dict[str, str] = {}
    platform = _platform(body.platform_id, problems)
    job = None
    if platform is not None:
        for name in platform.identity:
            if not body.identifiers.get(name):
                problems[f"identifiers.{name}"] = (
                    f"required identity field of {platform.platform_id}"
                )
        known = all(body.identifiers.get(name) for name in platform.identity)
        identity = {name: body.identifiers[name] for name in platform.identity} if known else {}
        early_id = (
            asset_id_for(platform.platform_id, platform.identity, identity) if known else None
        )
        job = _job(platform, body.data_type, body.source.model_dump(), problems, early_id)
    if problems or platform is None or job is None:
        raise InvalidRequest("invalid submission", problems)
    await asyncio.to_thread(ensure_projected)
    identity = {name: body.identifiers[name] for name in platform.identity}
    asset_id = asset_id_for(platform.platform_id, platform.identity, identity)
    request_id = body.request_id or uuid.uuid4().hex
    instance_id = command_instance_id("submit", platform.platform_id, request_id)
    catalog = wiring.asset_catalog()
    stored, _ = await asyncio.to_thread(
        catalog.begin_request,
        platform.platform_id,
        request_id,
        _body_hash(body),
        asset_id,
        instance_id,
    )
    if stored.body_hash != _body_hash(body):
        raise RequestConflict(
            f"request_id {request_id!r} of platform {platform.platform_id!r} was already used "
            "with a different body; use a new request_id for a new submission"
        )
    if stored.outcome is not None:
        # Answered before: the same answer, even once the instance's history is purged.
        return CommandAnswer(
            asset_id, instance_id, Outcome.model_validate(stored.outcome), request_id
        )
    label = body.identifiers.get(platform.version_label) if platform.version_label else None
    command = Submit(
        command_id=instance_id,
        at=datetime.now(UTC),
        by=caller.principal or principal or f"platform:{platform.platform_id}",
        via=caller.via,
        asset_id=asset_id,
        platform_id=platform.platform_id,
        identity=identity,
        identity_key=identity_key(platform.identity, identity),
        version_label=label,
        request_id=request_id,
        data_type=body.data_type,
        workflow_id=job.workflow_id,
        source=body.source.model_dump(),
        title=body.title,
        metadata={
            **body.metadata,
            **{
                k: v
                for k, v in body.identifiers.items()
                if k not in identity and k != platform.version_label
            },
        },
        job_id=uuid.uuid4().hex,
    )
    message = AssetCommandInput(
        asset_id=asset_id,
        command=command,
        job=job,
        request=RequestRef(platform_id=platform.platform_id, request_id=request_id),
    )
    outcome = await run(client, instance_id, message)
    return CommandAnswer(asset_id, instance_id, outcome, request_id)


async def review(
    asset_id: str,
    action: str,
    body: ReviewBody,
    principal: str | None,
    client: DurableCommander,
    ordinal: int | None = None,
    caller: Caller = OPEN,
) -> CommandAnswer:
    """``action``: approve, reject, reprocess (of version ``ordinal``), cleared, public
    (clearance), delete or retry_publication, by ``caller`` (its credential is the
    command's ``via``)."""
    by = actor(caller, principal, body.by)
    request_id = body.request_id or uuid.uuid4().hex
    instance_id = command_instance_id(action, asset_id, str(ordinal), request_id)
    base: dict[str, Any] = {
        "command_id": instance_id,
        "at": datetime.now(UTC),
        "by": by,
        "via": caller.via,
        "reason": body.reason,
    }
    job = None
    command: AnyCommand
    if action == "approve":
        command = Approve(**base, ordinal=ordinal)
    elif action == "reject":
        command = Reject(**base, ordinal=ordinal)
    elif action == "reprocess":
        assert ordinal is not None
        job = await _version_job(asset_id, ordinal)
        command = Reprocess(**base, ordinal=ordinal, job_id=uuid.uuid4().hex)
    elif action in ("cleared", "public"):
        command = SetClearance(**base, clearance=action)
    elif action == "delete":
        command = Delete(**base)
    elif action == "retry_publication":
        command = RetryPublication(**base)
    else:
        raise ValueError(f"unknown action {action!r}")
    message = AssetCommandInput(asset_id=asset_id, command=command, job=job)
    return CommandAnswer(asset_id, instance_id, await run(client, instance_id, message))


def actions(asset: AssetRecord, versions: list[AssetVersionRecord]) -> list[str]:
    """What may be done with the asset as a whole now, as the machine would answer for the
    projected state (`domain.asset_machine.asset_actions`): the read model holds every field
    it reads."""
    state = AssetState.model_validate(
        {**asset.model_dump(), "identity_key": "", "versions": [v.model_dump() for v in versions]}
    )
    return asset_actions(state)


async def _version_job(asset_id: str, ordinal: int) -> AssetJob | None:
    """The job that reprocesses a version: its platform's workflow for its data type, on
    its source. None if the read model does not know the version (the entity decides)."""
    catalog = wiring.asset_catalog()
    asset = await asyncio.to_thread(catalog.get_asset, asset_id)
    versions = await asyncio.to_thread(catalog.versions, asset_id)
    version = next((v for v in versions if v.ordinal == ordinal), None)
    if asset is None or version is None:
        return None
    problems: dict[str, str] = {}
    platform = _platform(asset.platform_id, problems)
    source = {k: str(v) for k, v in version.source.items()}
    job = _job(platform, version.data_type, source, problems, asset_id) if platform else None
    if problems:
        raise InvalidRequest("the version cannot be reprocessed", problems)
    return job


async def run(
    client: DurableCommander, instance_id: str, message: AssetCommandInput
) -> Outcome | None:
    """Start the command's orchestration unless it exists; its outcome, or None if it is
    not done within `WAIT_SECONDS`."""
    status = await client.get_status(instance_id)
    if status is None or status.runtime_status is None:
        try:
            await client.start_new(ASSET_COMMAND, instance_id, message.model_dump(mode="json"))
        except Exception:
            # A concurrent retry of the same request started it first.
            status = await client.get_status(instance_id)
            if status is None or status.runtime_status is None:
                raise
    return await wait(client, instance_id)


async def wait(client: DurableCommander, instance_id: str) -> Outcome | None:
    """Poll the instance's status (50 ms at first, backing off to 0.5 s) until it ends."""
    deadline = time.monotonic() + WAIT_SECONDS
    delay = _POLL_SECONDS
    while True:
        status = await client.get_status(instance_id)
        state = getattr(status.runtime_status, "value", None) if status else None
        if state == "Completed":
            return Outcome.model_validate(status.output)
        if state in ("Failed", "Terminated", "Canceled"):
            raise RuntimeError(f"asset command {instance_id} {state.lower()}: {status.output}")
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)
