"""The asset command orchestration's activities: `project_asset` (the read model) and
`start_asset_job` (the version's job, through the one job submission use case)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

import wiring
from adapters.catalog import JobRecord
from api.workflow_lookup import pinned
from domain.asset_flow import ProjectAsset, StartAssetJob
from domain.evaluator import job_created_event
from domain.jobs import JobStartMessage
from domain.names import JOB_ORCHESTRATOR, PROJECT_ASSET, START_ASSET_JOB
from domain.state import JobInfo

bp = df.Blueprint()


def project(message: ProjectAsset) -> bool:
    """Idempotent: guarded by the entity revision (see `AssetCatalog.project`)."""
    outcome = message.outcome
    catalog = wiring.asset_catalog()
    moved = False
    if outcome.state is not None:
        moved = catalog.project(outcome.state, outcome.event)
    if message.request is not None:
        catalog.answer_request(
            message.request.platform_id,
            message.request.request_id,
            outcome.model_dump(mode="json", exclude={"state"}),
            outcome.result.get("ordinal"),
            outcome.result.get("job_id"),
        )
    return moved


@bp.activity_trigger(input_name="message", activity=PROJECT_ASSET)
def project_asset(message: dict[str, Any]) -> bool:
    return project(ProjectAsset.model_validate(message))


async def start_job(
    start: StartAssetJob, client: df.DurableOrchestrationClient, *, reports: bool = True
) -> str:
    """Record and start the version's job under its own id, at most once. ``reports``:
    the job reports its start and end to the asset (a publication job does not).

    TEMPORARY: this repeats what `api.jobs.submit_job` does until the job submission use
    case (`application.jobs.submit_job`) is in main; then it calls that."""
    catalog = wiring.catalog()
    snapshot = pinned(start.job.workflow_id, start.job.version)
    definition = snapshot.definition
    record = JobRecord(
        job_id=start.job_id,
        workflow_id=definition.workflow_id,
        workflow_version=definition.version,
        workflow_hash=snapshot.hash,
        request_id=f"asset:{start.asset_id}:{start.job_id}",
        asset_id=start.asset_id,
        inputs=start.job.inputs,
    )
    stored = await asyncio.to_thread(catalog.create_job, record)
    status = await client.get_status(stored.job_id)
    if status is not None and status.runtime_status is not None:
        return stored.job_id
    info = JobInfo(
        id=stored.job_id,
        workflow_id=definition.workflow_id,
        version=definition.version,
        workflow_hash=snapshot.hash,
    )
    created = job_created_event(info, datetime.now(UTC), {"request_id": record.request_id})
    await asyncio.to_thread(catalog.record_events, [created])
    job_start = JobStartMessage(
        job_id=stored.job_id,
        workflow=snapshot,
        inputs=start.job.inputs,
        request_id=record.request_id,
        asset_id=start.asset_id if reports else None,
    )
    await client.start_new(JOB_ORCHESTRATOR, stored.job_id, job_start.model_dump(mode="json"))
    return stored.job_id


@bp.activity_trigger(input_name="message", activity=START_ASSET_JOB)
@bp.durable_client_input(client_name="client")
async def start_asset_job(message: dict[str, Any], client: df.DurableOrchestrationClient) -> str:
    return await start_job(StartAssetJob.model_validate(message), client)
