"""Decide a waiting approval node: raise its event with who decided, how and why."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from adapters.catalog import JobCatalog, JobRecord
from application.errors import JobStateConflict, NoSuchJob, NoSuchNode
from application.stores import job_catalog
from application.workflows import find
from domain.models import ApprovalNode


class EventRaiser(Protocol):
    """The part of `df.DurableOrchestrationClient` an approval needs."""

    async def raise_event(
        self, instance_id: str, event_name: str, event_data: Any = None
    ) -> None: ...


class ApprovalDecision(BaseModel):
    """An approval node's decision; ``approved`` False rejects (and fails the node)."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    node_id: str
    approved: bool
    by: str
    reason: str | None = None


async def decide_approval(
    decision: ApprovalDecision, client: EventRaiser, catalog: JobCatalog | None = None
) -> ApprovalDecision:
    """Raise the node's approval event; returns the decision as sent.

    `NoSuchJob` / `NoSuchNode` for unknown ids, `JobStateConflict` when the job ended, the
    node is not an approval, or it already finished.
    """
    catalog = await job_catalog(catalog)
    job = await asyncio.to_thread(catalog.get_job, decision.job_id)
    if job is None:
        raise NoSuchJob(f"unknown job '{decision.job_id}'")
    event_name = await _waiting_event(catalog, job, decision.node_id)
    payload = decision.model_dump(include={"approved", "by", "reason"})
    await client.raise_event(job.job_id, event_name, payload)
    return decision


async def _waiting_event(catalog: JobCatalog, job: JobRecord, node_id: str) -> str:
    if job.status.is_final:
        raise JobStateConflict(f"job '{job.job_id}' is already {job.status.value}")
    try:
        node = find(job.workflow_id, job.workflow_version).node(node_id)
    except KeyError:
        raise NoSuchNode(f"job '{job.job_id}' has no node '{node_id}'") from None
    if not isinstance(node, ApprovalNode):
        raise JobStateConflict(f"node '{node_id}' is a {node.type} node, not an approval")
    # The catalog may lag the orchestration by a write; Durable Functions buffers an event
    # raised before the orchestrator waits for it, so only a finished node is refused.
    attempts = await asyncio.to_thread(catalog.list_node_attempts, job.job_id, node_id)
    if attempts and attempts[-1].status.is_final:
        raise JobStateConflict(f"node '{node_id}' is already {attempts[-1].status.value}")
    return node.event_name()
