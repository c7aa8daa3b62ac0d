"""How asset commands travel: the messages of the command orchestration and its activities,
and the decisions around the entity call (which job to start, what a job reports).

    HTTP starter ──AssetCommandInput──▶ asset_command ──command──▶ entity `asset`
                                           │ ◀──Outcome──┘
                                           ├─ProjectAsset──▶ project_asset (read model)
                                           └─StartAssetJob─▶ start_asset_job (if `job_to_start`)
    job orchestrator ──AssetCommandInput(JobStarted | JobFinished)──▶ asset_command
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.assets import Command, JobFinished, JobStarted, Outcome, Processing, asset_table
from domain.offload import is_ref

SYSTEM_ACTOR = "dagmaster"


class AssetJob(BaseModel):
    """The job a submission (or a reprocess) runs: a workflow and its resolved inputs."""

    workflow_id: str
    version: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    table_input: str | None = Field(
        default=None,
        description="the input that gets the version's own table (`asset_table`), named "
        "once the entity has given the version its ordinal",
    )


class RequestRef(BaseModel):
    """The B2B request a command answers (recorded in the read model's api requests)."""

    platform_id: str
    request_id: str


class AssetCommandInput(BaseModel):
    asset_id: str
    command: Command
    job: AssetJob | None = None
    request: RequestRef | None = None


class ProjectAsset(BaseModel):
    outcome: Outcome
    request: RequestRef | None = None


class StartAssetJob(BaseModel):
    asset_id: str
    ordinal: int
    job_id: str
    job: AssetJob


def command_instance_id(*parts: str) -> str:
    """The command orchestration's instance id for a request: the same request (a retry)
    gives the same id, so it acts once. URL-safe."""
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f"asset-cmd-{digest}"


def job_to_start(outcome: Outcome, job: AssetJob | None) -> StartAssetJob | None:
    """The job to start after a submit or reprocess: the version's current job while it is
    still queued (so a duplicate of the command re-starts a job only if it never started;
    starting is idempotent by job id anyway). A vector job gets its version's own table,
    so a reprocess writes into the same version's table and a new version into a new one."""
    if job is None or not outcome.ok or outcome.state is None:
        return None
    ordinal = outcome.result.get("ordinal")
    version = outcome.state.version(ordinal) if isinstance(ordinal, int) else None
    if version is None or version.job_id != outcome.result.get("job_id"):
        return None
    if version.processing is not Processing.QUEUED:
        return None
    asset_id = outcome.state.asset_id
    if job.table_input is not None:
        table = asset_table(asset_id, version.ordinal)
        job = job.model_copy(update={"inputs": {**job.inputs, job.table_input: table}})
    return StartAssetJob(asset_id=asset_id, ordinal=version.ordinal, job_id=version.job_id, job=job)


def reports_to_asset(asset_id: str | None, parent_job_id: str | None) -> bool:
    """A top-level job of an asset reports its start and end to the asset's entity (which
    ignores a job that is not a version's current one). Sub-workflow jobs carry their
    parent's asset id but report nothing: their parent does."""
    return asset_id is not None and parent_job_id is None


def report_instance_id(job_id: str, kind: str) -> str:
    """The `asset_command` instance that carries a job's start or end report to its asset."""
    return f"{job_id}:asset:{kind}"


def job_started_report(asset_id: str, job_id: str, at: datetime) -> AssetCommandInput:
    command = JobStarted(command_id=f"{job_id}:started", at=at, by=SYSTEM_ACTOR, job_id=job_id)
    return AssetCommandInput(asset_id=asset_id, command=command)


def job_finished_report(
    asset_id: str, job_id: str, at: datetime, status: str, result: Any, error: Any
) -> AssetCommandInput:
    ok = status == "completed"
    if not ok and not isinstance(error, dict):
        error = {"message": f"job {status}"}
    command = JobFinished(
        command_id=f"{job_id}:finished",
        at=at,
        by=SYSTEM_ACTOR,
        job_id=job_id,
        ok=ok,
        outputs=job_outputs(result) if ok else None,
        error=None if ok else error,
        reason=None if ok else f"job {status}",
    )
    return AssetCommandInput(asset_id=asset_id, command=command)


def job_outputs(result: Any) -> dict[str, Any]:
    """What a version keeps of its job's result: for a raster ingest, the STAC item (id,
    collection, where it is stored) and the data asset's location; otherwise the result's
    top-level keys; for a publication job, the public item (or how many public copies were
    removed). Small on purpose: the entity's state stays small. A part of the result
    that was offloaded to blob storage (an output over the large-output limit) is kept as
    its reference."""
    if is_ref(result):
        return {"result_ref": result}  # offloaded whole (see domain.offload)
    if not isinstance(result, dict):
        return {"result": result} if isinstance(result, str | int | float | bool) else {}
    public = result.get("published")
    if isinstance(public, dict):  # a publish_asset job (handlers.publish.PublishResult)
        return {
            "public_collection": public.get("collection"),
            "public_item_id": public.get("item_id"),
            "public_item_href": public.get("item_href"),
        }
    if isinstance(result.get("unpublished"), dict):  # an unpublish_asset job
        removed = result["unpublished"].get("removed")
        return {"removed": len(removed) if isinstance(removed, list) else 0}
    stac = result.get("stac_item")
    if is_ref(stac):
        return {"stac_item_ref": stac}
    if isinstance(stac, dict) and is_ref(stac.get("item")):
        return {"stac_item_ref": stac["item"]}
    if isinstance(stac, dict) and isinstance(stac.get("item"), dict):
        item = stac["item"]
        data = (item.get("assets") or {}).get("data") or {}
        blob = stac.get("item_blob") or {}
        return {
            "stac_item_id": item.get("id"),
            "stac_collection": item.get("collection"),
            "stac_item_href": blob.get("url"),
            "cog_href": data.get("href"),
            "cog_type": data.get("type"),
            "bbox": item.get("bbox"),
        }
    return {"keys": sorted(result)}
