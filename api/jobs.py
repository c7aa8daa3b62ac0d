"""Submit and follow jobs: `/api/jobs...`. Handlers parse, call one use case, format.

Access (`api.access`): submitting any workflow here and deciding approval nodes are for
reviewers and operators; a platform reads and cancels only the jobs of its own assets
(another's job is unknown to it)."""

from __future__ import annotations

import asyncio
from typing import Any

import azure.durable_functions as df
import azure.functions as func

import application.approve
import application.cancel
import application.jobs
import wiring
from adapters.catalog import JobCatalog, JobRecord
from adapters.catalog.paging import decode_after, encode_after
from adapters.outputs import contains_ref, resolve_refs
from api import contract
from api.access import guard, own_platform, sees
from api.http import (
    BadRequest,
    NotFound,
    json_body,
    json_errors,
    json_response,
    parse,
    parse_query,
)
from api.models import (
    ApprovalAccepted,
    ApprovalRequest,
    CancelAccepted,
    CancelRequest,
    JobLinks,
    JobListPage,
    JobQuery,
    JobSummary,
    JobView,
    ListJobsQuery,
    NodeProgress,
    NodesPage,
    NodesQuery,
    SubmitAccepted,
    TimelinePage,
    TimelineQuery,
)
from application.approve import ApprovalDecision
from application.cancel import CancelJob
from application.jobs import JobSubmission
from config.settings import AccessSettings
from domain.access import Rule
from domain.progress import live_progress

bp = df.Blueprint()
_LARGE = {"inputs", "output"}


async def _catalog() -> JobCatalog:
    return await asyncio.to_thread(wiring.catalog)


def _links(req: func.HttpRequest, job_id: str) -> JobLinks:
    """Built from configuration or the host's own name, never from the request's Host."""
    base = AccessSettings.from_env().link(f"/api/jobs/{job_id}")
    return JobLinks(
        self=base, nodes=f"{base}/nodes", timeline=f"{base}/timeline", cancel=f"{base}/cancel"
    )


@contract.route(
    bp, "POST", "api/jobs", SubmitAccepted, status=202, body=JobSubmission, errors=(403, 404, 409)
)
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.OPERATE)
async def submit_job(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Submit a job of a workflow.

    202 with the job and its links. The same `request_id` with the same body returns the
    same job; with another body or workflow it is a 409 naming the difference."""
    submission: JobSubmission = parse(JobSubmission, json_body(req))
    job = (await application.jobs.submit_job(submission, client)).job
    links = _links(req, job.job_id)
    accepted = SubmitAccepted(
        job_id=job.job_id,
        status=job.status,
        workflow_id=job.workflow_id,
        version=job.workflow_version,
        links=links,
    )
    return json_response(accepted, 202, headers={"Location": links.self})


def _after(cursor: str | None, kind: type[str] | type[int]) -> Any:
    """The key a `/nodes` or `/timeline` cursor stands for (None: the first page)."""
    if cursor is None:
        return None
    try:
        return decode_after(cursor, kind)
    except ValueError as exc:
        raise BadRequest(f"cursor: {exc}", fields={"cursor": str(exc)}) from exc


@contract.route(bp, "GET", "api/jobs", JobListPage, query=ListJobsQuery)
@json_errors
@guard(Rule.READ)
async def list_jobs(req: func.HttpRequest) -> func.HttpResponse:
    """List jobs, newest first, one page.

    Without `full=true` each job leaves out its `inputs` and `output`."""
    query: ListJobsQuery = parse_query(ListJobsQuery, req)
    catalog = await _catalog()
    try:
        page = await asyncio.to_thread(
            catalog.list_jobs,
            status=query.status,
            workflow_id=query.workflow_id,
            asset_id=query.asset_id,
            platform_id=own_platform(),  # access: a platform lists its own assets' jobs
            created_from=query.created_from,
            created_to=query.created_to,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    exclude = set() if query.full else _LARGE
    items = [JobSummary.model_validate(j.model_dump(exclude=exclude)) for j in page.items]
    listing = JobListPage(items=items, next_cursor=page.next_cursor)
    return json_response(listing.model_dump(mode="json", exclude={"items": {"__all__": exclude}}))


async def _job(job_id: str) -> JobRecord:
    catalog = await _catalog()
    job = await asyncio.to_thread(catalog.get_job, job_id)
    if job is None or not await _visible(catalog, job_id):
        raise NotFound(f"unknown job '{job_id}'")
    return job


async def _visible(catalog: JobCatalog, job_id: str) -> bool:
    """Access: whether the caller may see the job (a platform: its own assets' jobs)."""
    if own_platform() is None:
        return True
    return sees(await asyncio.to_thread(catalog.platform_of_job, job_id))


async def _node_progress(job: JobRecord) -> dict[str, NodeProgress]:
    """What the heavy workers last reported for the job's unfinished nodes, by node id."""
    if job.status.is_final:
        return {}
    nodes = await asyncio.to_thread((await _catalog()).list_nodes, job.job_id)
    return {
        n.node_id: NodeProgress(
            attempt=n.attempt, percent=n.progress_percent, message=n.progress_message
        )
        for n in nodes
        if n.progress_percent is not None and not n.status.is_final
    }


@contract.route(bp, "GET", "api/jobs/{job_id}", JobView, query=JobQuery, errors=(404,))
@json_errors
@guard(Rule.READ)
async def get_job(req: func.HttpRequest) -> func.HttpResponse:
    """A job: status, progress, output, error and links.

    `node_progress` is what heavy workers last reported for unfinished nodes. Its progress
    counts every node by its latest recorded event, children of fan-out batches included
    (the orchestrator sees those only per batch), so a cancel counts only what it cancelled.
    Large outputs in the job's result are read from blob storage unless `resolve=false`."""
    query: JobQuery = parse_query(JobQuery, req)
    job = await _job(req.route_params["job_id"])
    body = job.model_dump(mode="json")
    if contains_ref(body["output"]) and query.resolve:
        body["output"] = await asyncio.to_thread(resolve_refs, wiring.json_blobs(), body["output"])
    if job.progress is not None:  # after the end too: batches record their cancels late
        counts, running = await asyncio.to_thread((await _catalog()).node_status_counts, job.job_id)
        body["progress"] = live_progress(job.progress, counts, running)
    progress = await _node_progress(job)
    body["node_progress"] = {k: v.model_dump(mode="json") for k, v in progress.items()}
    return json_response({**body, "links": _links(req, job.job_id).model_dump()})


@contract.route(bp, "GET", "api/jobs/{job_id}/nodes", NodesPage, query=NodesQuery, errors=(404,))
@json_errors
@guard(Rule.READ)
async def get_job_nodes(req: func.HttpRequest) -> func.HttpResponse:
    """The latest attempt of every node of a job, by node id, one page.

    `full=false` leaves each node's `output` out."""
    query: NodesQuery = parse_query(NodesQuery, req)
    after = _after(query.cursor, str)
    job = await _job(req.route_params["job_id"])
    nodes = await asyncio.to_thread(
        (await _catalog()).list_nodes, job.job_id, after_node=after, limit=query.limit + 1
    )
    more = len(nodes) > query.limit
    nodes = nodes[: query.limit]
    exclude = None if query.full else {"output"}
    return json_response(
        {
            "job_id": job.job_id,
            "items": [n.model_dump(mode="json", exclude=exclude) for n in nodes],
            "next_cursor": encode_after(nodes[-1].node_id) if more else None,
        }
    )


@contract.route(
    bp, "GET", "api/jobs/{job_id}/timeline", TimelinePage, query=TimelineQuery, errors=(404,)
)
@json_errors
@guard(Rule.READ)
async def get_job_timeline(req: func.HttpRequest) -> func.HttpResponse:
    """Every transition of a job and its nodes, in seq order, one page.

    `after_seq` polls for what is new; `next_cursor` continues a long timeline."""
    query: TimelineQuery = parse_query(TimelineQuery, req)
    after = _after(query.cursor, int)
    after_seq = max(query.after_seq, after if after is not None else -1)
    job = await _job(req.route_params["job_id"])
    events = await asyncio.to_thread(
        (await _catalog()).timeline, job.job_id, after_seq, query.limit + 1
    )
    more = len(events) > query.limit
    events = events[: query.limit]
    page = TimelinePage(
        job_id=job.job_id,
        items=events,
        next_cursor=encode_after(events[-1].seq) if more else None,
    )
    return json_response(page)


@contract.route(
    bp,
    "POST",
    "api/jobs/{job_id}/cancel",
    CancelAccepted,
    status=202,
    body=CancelRequest,
    body_required=False,
    errors=(404, 409),
)
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.CANCEL)
async def cancel_job(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Ask a running job to stop (body optional: `by`, `reason`).

    409 when the job already ended, 404 when its Durable instance was purged."""
    request: CancelRequest = parse(CancelRequest, json_body(req))
    if own_platform() is not None:
        await _job(req.route_params["job_id"])  # access: 404 unless its own assets' job
    command = CancelJob(job_id=req.route_params["job_id"], by=request.by, reason=request.reason)
    job = await application.cancel.cancel_job(command, client)
    return json_response(CancelAccepted(job_id=job.job_id), 202)


@contract.route(
    bp,
    "POST",
    "api/jobs/{job_id}/approve/{node_id}",
    ApprovalAccepted,
    status=202,
    body=ApprovalRequest,
    errors=(403, 404, 409),
)
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def approve_node(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Approve or reject a waiting approval node: `{approved?, by, reason?}`."""
    request: ApprovalRequest = parse(ApprovalRequest, json_body(req))
    decision = ApprovalDecision(
        job_id=req.route_params["job_id"],
        node_id=req.route_params["node_id"],
        **request.model_dump(),
    )
    sent = await application.approve.decide_approval(decision, client)
    return json_response(ApprovalAccepted(**sent.model_dump()), 202)
