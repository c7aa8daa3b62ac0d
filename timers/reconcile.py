"""Timer: tell the catalog about jobs whose Durable instance ended without the orchestrator
recording it (a Durable `terminate`, a failure outside the orchestrator's own code, a purged
instance). The decision is `domain.reconcile.reconcile`.

Why a timer rather than the cancel path: a terminate can come from anywhere that holds the
system key (the management API, the portal, a script), and a crash of the orchestrator
function has no caller at all; only asking Durable about the catalog's unfinished jobs sees
every case. It works the same on Azure (a timer trigger with a durable client binding).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

import wiring
from adapters.catalog import JobCatalog, JobRecord
from config.settings import AccessSettings
from domain.reconcile import InstanceStatus, OpenNode, reconcile
from domain.status import JobStatus

bp = df.Blueprint()
log = logging.getLogger("dagmaster.reconcile")
SCHEDULE = AccessSettings.from_env().reconcile_schedule  # the host reads it at start-up


def _unfinished(catalog: JobCatalog) -> list[JobRecord]:
    """Every job the catalog has not seen end: one Durable status read each per run."""
    jobs: list[JobRecord] = []
    for status in (JobStatus.CREATED, JobStatus.RUNNING):
        cursor = None
        while True:
            page = catalog.list_jobs(status=status, limit=200, cursor=cursor)
            jobs += page.items
            if (cursor := page.next_cursor) is None:
                break
    return jobs


async def _instance(client: df.DurableOrchestrationClient, job_id: str) -> InstanceStatus:
    status = await client.get_status(job_id)
    runtime = getattr(status, "runtime_status", None)
    return InstanceStatus(
        runtime_status=runtime.value if runtime is not None else None,
        output=getattr(status, "output", None),
    )


@bp.timer_trigger(schedule=SCHEDULE, arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def reconcile_jobs(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    catalog = await asyncio.to_thread(wiring.catalog)
    for job in await asyncio.to_thread(_unfinished, catalog):
        try:
            await _reconcile_one(catalog, client, job)
        except Exception:  # one job's trouble must not stop the others; the next run retries
            log.exception("reconciling job %s failed", job.job_id)


async def _reconcile_one(
    catalog: JobCatalog, client: df.DurableOrchestrationClient, job: JobRecord
) -> None:
    instance = await _instance(client, job.job_id)
    now = datetime.now(UTC)
    if not reconcile(job.job_id, job.status, job.created_at, instance, now):
        return
    # Read the job again now, after Durable's answer: an orchestrator records its own end
    # before its instance ends, so a job that ended meanwhile is seen final here.
    fresh = await asyncio.to_thread(catalog.get_job, job.job_id)
    if fresh is None:
        return
    nodes = await asyncio.to_thread(catalog.list_nodes, job.job_id)
    open_nodes = [
        OpenNode(node_id=n.node_id, attempt=n.attempt) for n in nodes if not n.status.is_final
    ]
    events = reconcile(job.job_id, fresh.status, job.created_at, instance, now, open_nodes)
    if events:
        await asyncio.to_thread(catalog.record_events, events)
        log.warning(
            "job %s marked %s: Durable says %s",
            job.job_id,
            events[-1].kind.value,
            instance.runtime_status or "no such instance",
        )
