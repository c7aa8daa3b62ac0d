"""Cancel a job: the cancel event on its orchestration, unless it (or its instance) ended."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from adapters.catalog import JobCatalog, JobRecord
from application.errors import InstanceGone, JobStateConflict, NoSuchJob
from application.stores import job_catalog
from domain.jobs import CANCEL_EVENT


class DurableClient(Protocol):
    """The part of `df.DurableOrchestrationClient` a cancel needs."""

    async def get_status(self, instance_id: str) -> Any: ...

    async def raise_event(
        self, instance_id: str, event_name: str, event_data: Any = None
    ) -> None: ...


class CancelJob(BaseModel):
    """Ask a running job to stop; ``by`` and ``reason`` go on its timeline."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    by: str | None = None
    reason: str | None = None


_ENDED = {"Completed", "Failed", "Terminated", "Canceled"}


async def cancel_job(
    command: CancelJob, client: DurableClient, catalog: JobCatalog | None = None
) -> JobRecord:
    """Raise the cancel event on the job's orchestration; returns the job as recorded.

    `NoSuchJob` for an unknown id, `JobStateConflict` when the job (or its Durable instance)
    already ended, `InstanceGone` when its instance was purged.
    """
    catalog = await job_catalog(catalog)
    job = await asyncio.to_thread(catalog.get_job, command.job_id)
    if job is None:
        raise NoSuchJob(f"unknown job '{command.job_id}'")
    if job.status.is_final:
        raise JobStateConflict(f"job '{job.job_id}' is already {job.status.value}")
    status = await client.get_status(job.job_id)
    runtime = getattr(status, "runtime_status", None)
    if runtime is None:
        raise InstanceGone(f"job '{job.job_id}' has no Durable instance (it was purged)")
    if getattr(runtime, "value", runtime) in _ENDED:
        name = getattr(runtime, "value", runtime)
        raise JobStateConflict(f"job '{job.job_id}' cannot be cancelled: its instance is {name}")
    try:
        await client.raise_event(
            job.job_id, CANCEL_EVENT, {"by": command.by, "reason": command.reason}
        )
    except Exception as exc:  # the SDK raises a bare Exception for 404/410
        text = str(exc)
        if "No instance" in text:
            raise InstanceGone(
                f"job '{job.job_id}' has no Durable instance (it was purged)"
            ) from None
        if "is gone" in text:
            raise JobStateConflict(f"job '{job.job_id}' cannot be cancelled: it ended") from None
        raise
    return job
