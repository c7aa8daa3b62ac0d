"""Submit and follow jobs: `/api/jobs...`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel, Field, ValidationError

import wiring
from adapters.catalog import JobCatalog, JobRecord
from adapters.outputs import contains_ref, resolve_refs
from api.http import BadRequest, Conflict, NotFound, json_body, json_errors, json_response
from api.workflow_lookup import find, pinned
from domain.evaluator import job_created_event
from domain.events import EventKind
from domain.inputs import resolve_inputs
from domain.jobs import CANCEL_EVENT, JobStartMessage
from domain.models import ApprovalNode
from domain.names import JOB_ORCHESTRATOR
from domain.progress import live_progress
from domain.state import JobInfo
from domain.status import JobStatus

bp = df.Blueprint()


class SubmitJob(BaseModel):
    """`POST /api/jobs` body."""

    workflow_id: str
    version: int | None = Field(default=None, ge=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = Field(default=None, min_length=1, max_length=200)
    asset_id: str | None = None


async def _catalog() -> JobCatalog:
    return await asyncio.to_thread(wiring.catalog)


def _links(req: func.HttpRequest, job_id: str) -> dict[str, str]:
    base = req.url.split("/api/")[0] + f"/api/jobs/{job_id}"
    return {
        "self": base,
        "nodes": f"{base}/nodes",
        "timeline": f"{base}/timeline",
        "cancel": f"{base}/cancel",
    }


def _parse(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields = {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors(include_url=False)}
        raise BadRequest("invalid request body", fields=fields) from exc


@bp.route(route="api/jobs", methods=["POST"])
@bp.durable_client_input(client_name="client")
@json_errors
async def submit_job(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Validate, pin, record, start. The same `request_id` twice returns the same job."""
    submit: SubmitJob = _parse(SubmitJob, json_body(req))
    catalog = await _catalog()
    if submit.request_id:
        existing = await asyncio.to_thread(catalog.find_by_request_id, submit.request_id)
        if existing is not None:
            await _ensure_started(client, existing, None)
            return _accepted(req, existing)
    snapshot = pinned(submit.workflow_id, submit.version)
    inputs = resolve_inputs(snapshot.definition, submit.inputs)
    definition = snapshot.definition
    record = JobRecord(
        job_id=uuid.uuid4().hex,
        workflow_id=definition.workflow_id,
        workflow_version=definition.version,
        workflow_hash=snapshot.hash,
        request_id=submit.request_id,
        asset_id=submit.asset_id,
        inputs=inputs,
    )
    stored = await asyncio.to_thread(catalog.create_job, record)
    start = JobStartMessage(
        job_id=stored.job_id,
        workflow=snapshot,
        inputs=inputs,
        request_id=submit.request_id,
        asset_id=submit.asset_id,
    )
    if stored.job_id == record.job_id:
        info = JobInfo(
            id=stored.job_id,
            workflow_id=definition.workflow_id,
            version=definition.version,
            workflow_hash=snapshot.hash,
        )
        created = job_created_event(info, datetime.now(UTC), {"request_id": submit.request_id})
        await asyncio.to_thread(catalog.record_events, [created])
    await _ensure_started(client, stored, start)
    return _accepted(req, stored)


async def _ensure_started(
    client: df.DurableOrchestrationClient, job: JobRecord, start: JobStartMessage | None
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
        )
    await client.start_new(JOB_ORCHESTRATOR, job.job_id, start.model_dump(mode="json"))


def _accepted(req: func.HttpRequest, job: JobRecord) -> func.HttpResponse:
    links = _links(req, job.job_id)
    body = {
        "job_id": job.job_id,
        "status": job.status.value,
        "workflow_id": job.workflow_id,
        "version": job.workflow_version,
        "links": links,
    }
    return json_response(body, 202, headers={"Location": links["self"]})


def _datetime(req: func.HttpRequest, name: str) -> datetime | None:
    value = req.params.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"{name}: not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@bp.route(route="api/jobs", methods=["GET"])
@json_errors
async def list_jobs(req: func.HttpRequest) -> func.HttpResponse:
    status = req.params.get("status")
    if status is not None and status not in JobStatus.__members__.values():
        raise BadRequest(f"status: {status!r} is not one of {[s.value for s in JobStatus]}")
    try:
        limit = int(req.params.get("limit", "50"))
    except ValueError as exc:
        raise BadRequest("limit: not an integer") from exc
    catalog = await _catalog()
    try:
        page = await asyncio.to_thread(
            catalog.list_jobs,
            status=JobStatus(status) if status else None,
            workflow_id=req.params.get("workflow_id"),
            asset_id=req.params.get("asset_id"),
            created_from=_datetime(req, "created_from"),
            created_to=_datetime(req, "created_to"),
            limit=limit,
            cursor=req.params.get("cursor"),
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return json_response(page)


async def _job(job_id: str) -> JobRecord:
    job = await asyncio.to_thread((await _catalog()).get_job, job_id)
    if job is None:
        raise NotFound(f"unknown job '{job_id}'")
    return job


async def _node_progress(job: JobRecord) -> dict[str, dict[str, Any]]:
    """What the heavy workers last reported for the job's unfinished nodes, by node id."""
    if job.status.is_final:
        return {}
    nodes = await asyncio.to_thread((await _catalog()).list_nodes, job.job_id)
    return {
        n.node_id: {
            "attempt": n.attempt,
            "percent": n.progress_percent,
            "message": n.progress_message,
        }
        for n in nodes
        if n.progress_percent is not None and not n.status.is_final
    }


@bp.route(route="api/jobs/{job_id}", methods=["GET"])
@json_errors
async def get_job(req: func.HttpRequest) -> func.HttpResponse:
    """The job, its links and ``node_progress`` (see `_node_progress`). While it runs, its
    progress counts every node by its latest recorded event, children of fan-out batches
    included (the orchestrator sees those only per batch). Large outputs in the job's result
    are read from blob storage unless ``resolve=false``."""
    job = await _job(req.route_params["job_id"])
    body = job.model_dump(mode="json")
    if contains_ref(body["output"]) and req.params.get("resolve", "true") != "false":
        body["output"] = await asyncio.to_thread(resolve_refs, wiring.json_blobs(), body["output"])
    if not job.status.is_final and job.progress is not None:
        counts, running = await asyncio.to_thread((await _catalog()).node_status_counts, job.job_id)
        body["progress"] = live_progress(job.progress, counts, running)
    body["node_progress"] = await _node_progress(job)
    return json_response({**body, "links": _links(req, job.job_id)})


@bp.route(route="api/jobs/{job_id}/nodes", methods=["GET"])
@json_errors
async def get_job_nodes(req: func.HttpRequest) -> func.HttpResponse:
    job = await _job(req.route_params["job_id"])
    nodes = await asyncio.to_thread((await _catalog()).list_nodes, job.job_id)
    return json_response(
        {"job_id": job.job_id, "items": [n.model_dump(mode="json") for n in nodes]}
    )


@bp.route(route="api/jobs/{job_id}/timeline", methods=["GET"])
@json_errors
async def get_job_timeline(req: func.HttpRequest) -> func.HttpResponse:
    job = await _job(req.route_params["job_id"])
    after = int(req.params.get("after_seq", "-1"))
    events = await asyncio.to_thread((await _catalog()).timeline, job.job_id, after)
    return json_response(
        {"job_id": job.job_id, "items": [e.model_dump(mode="json") for e in events]}
    )


@bp.route(route="api/jobs/{job_id}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
@json_errors
async def cancel_job(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    job = await _job(req.route_params["job_id"])
    if job.status.is_final:
        raise Conflict(f"job '{job.job_id}' is already {job.status.value}")
    body = json_body(req)
    await client.raise_event(
        job.job_id, CANCEL_EVENT, {"by": body.get("by"), "reason": body.get("reason")}
    )
    return json_response({"job_id": job.job_id, "cancel": "requested"}, 202)


@bp.route(route="api/jobs/{job_id}/approve/{node_id}", methods=["POST"])
@bp.durable_client_input(client_name="client")
@json_errors
async def approve_node(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Raise the approval event of a waiting approval node: {approved?, by, reason}."""
    job = await _job(req.route_params["job_id"])
    node_id = req.route_params["node_id"]
    body = json_body(req)
    if not isinstance(body.get("by"), str) or not body["by"]:
        raise BadRequest("by: who approves is required")
    event_name = await _waiting_event(job, node_id)
    decision = {
        "approved": bool(body.get("approved", True)),
        "by": body["by"],
        "reason": body.get("reason"),
    }
    await client.raise_event(job.job_id, event_name, decision)
    return json_response({"job_id": job.job_id, "node_id": node_id, **decision}, 202)


async def _waiting_event(job: JobRecord, node_id: str) -> str:
    if job.status.is_final:
        raise Conflict(f"job '{job.job_id}' is already {job.status.value}")
    definition = find(job.workflow_id, job.workflow_version)
    try:
        node = definition.node(node_id)
    except KeyError:
        raise NotFound(f"job '{job.job_id}' has no node '{node_id}'") from None
    if node.type != "approval":
        raise Conflict(f"node '{node_id}' is a {node.type} node, not an approval")
    # The catalog may lag the orchestration by a write; Durable Functions buffers an event
    # raised before the orchestrator waits for it, so only a finished node is refused.
    events = await asyncio.to_thread((await _catalog()).timeline, job.job_id)
    latest = [e for e in events if e.node_id == node_id]
    if latest and latest[-1].kind in _NODE_DONE:
        raise Conflict(f"node '{node_id}' is already {latest[-1].kind.value.split('.')[1]}")
    assert isinstance(node, ApprovalNode)
    return node.event_name()


_NODE_DONE = frozenset(
    {
        EventKind.NODE_COMPLETED,
        EventKind.NODE_FAILED,
        EventKind.NODE_SKIPPED,
        EventKind.NODE_TIMED_OUT,
        EventKind.NODE_CANCELLED,
    }
)
