"""Submit a job: resolve the workflow, check the inputs, pin, record once, start.

`submit_job` is the one way in, whoever the caller is (HTTP API, console, B2B submit API).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

import handlers
import wiring
from adapters.catalog import JobCatalog, JobRecord
from application.errors import RequestConflict
from application.limits import limits
from application.precheck import check_before_work
from application.stores import job_catalog
from application.workflows import find, pinned
from domain.evaluator import job_created_event
from domain.inputs import InputError, resolve_inputs
from domain.jobs import ORCHESTRATOR_REVISION, EngineOptions, JobStartMessage
from domain.names import JOB_ORCHESTRATOR
from domain.state import JobInfo
from domain.storage import check_storage_inputs


class DurableStarter(Protocol):
    """The part of `df.DurableOrchestrationClient` a submission needs."""

    async def get_status(self, instance_id: str) -> Any: ...

    async def start_new(
        self, orchestration_function_name: str, instance_id: str | None, client_input: Any
    ) -> str: ...


class JobSubmission(BaseModel):
    """What a caller asks to run. ``version`` None: the latest. ``request_id`` makes the
    submission idempotent: the same id again returns the job it created."""

    model_config = ConfigDict(
        frozen=True,
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"workflow_id": "echo_test", "inputs": {"message": "hi"}}]},
    )

    workflow_id: str = Field(min_length=1, max_length=200)
    version: int | None = Field(default=None, ge=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = Field(default=None, min_length=1, max_length=200)
    asset_id: str | None = Field(default=None, min_length=1, max_length=200)


class SubmittedJob(BaseModel):
    """The job a submission names; ``created`` is False when ``request_id`` found it."""

    model_config = ConfigDict(frozen=True)

    job: JobRecord
    created: bool


async def submit_job(
    submission: JobSubmission,
    client: DurableStarter,
    catalog: JobCatalog | None = None,
    *,
    job_id: str | None = None,
) -> SubmittedJob:
    """Record the job and start its orchestration (both at most once per ``request_id``).
    ``job_id`` names the new job (default: a random id): an asset version knows its job's
    id before the job exists.

    Raises `UnknownWorkflow` and `domain.inputs.InputError` before anything is stored, and
    `RequestConflict` when ``request_id`` names a job submitted with another body.
    """
    catalog = await job_catalog(catalog)
    if submission.request_id:
        existing = await asyncio.to_thread(catalog.find_by_request_id, submission.request_id)
        if existing is not None:
            _check_same_request(existing, submission)
            await _ensure_started(client, existing, None)
            return SubmittedJob(job=existing, created=False)
    snapshot = pinned(submission.workflow_id, submission.version)
    inputs = resolve_inputs(snapshot.definition, submission.inputs)
    check_storage_inputs(snapshot.definition, inputs, wiring.container_policy())
    definition = snapshot.definition
    check_before_work(definition, inputs, handlers.registry, limits().max_fan_out)
    record = JobRecord(
        job_id=job_id or uuid.uuid4().hex,
        workflow_id=definition.workflow_id,
        workflow_version=definition.version,
        workflow_hash=snapshot.hash,
        request_id=submission.request_id,
        asset_id=submission.asset_id,
        inputs=inputs,
    )
    stored = await asyncio.to_thread(catalog.create_job, record)
    created = stored.job_id == record.job_id
    if not created:
        _check_same_request(stored, submission)
    if created:
        info = JobInfo(
            id=stored.job_id,
            workflow_id=definition.workflow_id,
            version=definition.version,
            workflow_hash=snapshot.hash,
        )
        event = job_created_event(info, datetime.now(UTC), {"request_id": submission.request_id})
        await asyncio.to_thread(catalog.record_events, [event])
    start = JobStartMessage(
        job_id=stored.job_id,
        workflow=snapshot,
        inputs=inputs,
        request_id=submission.request_id,
        asset_id=submission.asset_id,
        engine=_engine(),
    )
    await _ensure_started(client, stored, start if created else None)
    return SubmittedJob(job=stored, created=created)


async def _ensure_started(
    client: DurableStarter, job: JobRecord, start: JobStartMessage | None
) -> None:
    """Start the orchestration unless it exists (a retried submission after a crash)."""
    status = await client.get_status(job.job_id)
    if status is not None and status.runtime_status is not None:
        return
    if start is None:
        start = JobStartMessage(
            job_id=job.job_id,
            workflow=pinned(job.workflow_id, job.workflow_version),
            inputs=dict(job.inputs),
            request_id=job.request_id,
            asset_id=job.asset_id,
            engine=_engine(),
        )
    await client.start_new(JOB_ORCHESTRATOR, job.job_id, start.model_dump(mode="json"))


def _engine() -> EngineOptions:
    return EngineOptions(
        max_fan_out=limits().max_fan_out, orchestrator_revision=ORCHESTRATOR_REVISION
    )


def _check_same_request(job: JobRecord, submission: JobSubmission) -> None:
    """A ``request_id`` seen before must come with the same workflow, version, asset and
    inputs (after defaults), else `RequestConflict` naming what differs."""
    differ: list[str] = []
    if job.workflow_id != submission.workflow_id:
        differ.append(f"workflow_id '{job.workflow_id}', not '{submission.workflow_id}'")
    elif submission.version is not None and submission.version != job.workflow_version:
        differ.append(f"version {job.workflow_version}, not {submission.version}")
    if job.asset_id != submission.asset_id:
        differ.append(f"asset_id {job.asset_id!r}, not {submission.asset_id!r}")
    if not differ:
        try:
            inputs = resolve_inputs(find(job.workflow_id, job.workflow_version), submission.inputs)
        except InputError:
            inputs = None
        if inputs != job.inputs:
            differ.append("other inputs")
    if differ:
        raise RequestConflict(
            f"request_id '{submission.request_id}' already names job '{job.job_id}', submitted "
            f"with {'; '.join(differ)}: use a new request_id for a different request"
        )
