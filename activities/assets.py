"""The asset command orchestration's activities: `project_asset` (the read model) and
`start_asset_job` (the version's job, through the one job submission use case)."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import deps
from domain.asset_flow import ProjectAsset, StartAssetJob
from orchestrations.names import PROJECT_ASSET, START_ASSET_JOB

bp = df.Blueprint()


def project(message: ProjectAsset) -> bool:
    """Idempotent: guarded by the entity revision (see `AssetCatalog.project`)."""
    outcome = message.outcome
    catalog = deps.asset_catalog()
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


@bp.activity_trigger(input_name="message", activity=START_ASSET_JOB)
@bp.durable_client_input(client_name="client")
async def start_asset_job(message: dict[str, Any], client: df.DurableOrchestrationClient) -> str:
    start = StartAssetJob.model_validate(message)
    raise NotImplementedError(f"start_asset_job {start.job_id}: waits for application.jobs")
