"""The asset command orchestration's activities: `project_asset` (the read model) and
`start_asset_job` (the version's job, through the one job submission use case,
`application.jobs.submit_job`)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

import wiring
from application.jobs import JobSubmission, submit_job
from domain.asset_flow import ProjectAsset, StartAssetJob
from domain.names import PROJECT_ASSET, START_ASSET_JOB

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


async def start_job(start: StartAssetJob, client: df.DurableOrchestrationClient) -> str:
    """Record and start the version's job under the id the asset gave it, at most once
    (the job's request id is derived from it), through the one job submission use case.
    The job reports its start and end to the asset: a version's job, and a publish or
    unpublish job, whose end the asset records as its publication."""
    submission = JobSubmission(
        workflow_id=start.job.workflow_id,
        version=start.job.version,
        inputs=start.job.inputs,
        request_id=f"asset:{start.asset_id}:{start.job_id}",
        asset_id=start.asset_id,
    )
    submitted = await submit_job(submission, client, job_id=start.job_id)
    return submitted.job.job_id


@bp.activity_trigger(input_name="message", activity=START_ASSET_JOB)
@bp.durable_client_input(client_name="client")
async def start_asset_job(message: dict[str, Any], client: df.DurableOrchestrationClient) -> str:
    return await start_job(StartAssetJob.model_validate(message), client)
