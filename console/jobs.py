"""Job pages: the list, a job's live graph, Gantt timeline and node panel, and its actions."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import azure.durable_functions as df
import azure.functions as func

from adapters.catalog import JobCatalog, JobRecord
from api.http import BadRequest
from api.models import ListJobsQuery
from api.parsing import parse
from application.approve import ApprovalDecision, decide_approval
from application.cancel import CancelJob, cancel_job
from application.errors import NoSuchJob, NoSuchNode, UnknownWorkflow
from application.workflows import find
from console.gantt import gantt
from console.graph_state import graph_state, parent_of
from console.layout import layout
from console.web import ANONYMOUS, bp, catalog, console_errors, page
from domain.events import EventKind, JobEvent
from domain.jobs import JobStartMessage
from domain.models import (
    ApprovalNode,
    FanOutNode,
    NodeDefinition,
    SubWorkflowNode,
    WorkflowDefinition,
)
from domain.offload import contains_ref
from domain.snapshot import content_hash
from domain.status import JobStatus, NodeStatus

PAGE_SIZES = (20, 50, 100)
NOTICES = {
    "cancel": "Cancel requested.",
    "approved": "Approval sent.",
    "rejected": "Rejection sent.",
    "submitted": "Job submitted.",
}
FINAL_NODE_STATUSES = frozenset(s.value for s in NodeStatus if s.is_final)
_FILTERS = ("status", "workflow_id", "asset_id", "created_from", "created_to")
_hashes: dict[tuple[str, int], str] = {}


async def find_job(cat: JobCatalog, job_id: str) -> JobRecord:
    job = await asyncio.to_thread(cat.get_job, job_id)
    if job is None:
        raise NoSuchJob(f"unknown job '{job_id}'")
    return job


def _shipped_hash(definition: WorkflowDefinition) -> str:
    key = (definition.workflow_id, definition.version)
    if key not in _hashes:
        _hashes[key] = content_hash(definition)
    return _hashes[key]


async def pinned_definition(
    client: df.DurableOrchestrationClient, job: JobRecord
) -> WorkflowDefinition:
    """The definition the job runs: the shipped one while its hash matches the job's pin,
    else the snapshot in the orchestration's input."""
    with contextlib.suppress(UnknownWorkflow):  # no longer shipped: read the snapshot
        shipped = find(job.workflow_id, job.workflow_version)
        if _shipped_hash(shipped) == job.workflow_hash:
            return shipped
    status = await client.get_status(job.job_id, show_input=True)
    if status is None or status.input_ is None:
        raise UnknownWorkflow(
            f"job '{job.job_id}': workflow {job.workflow_id}@{job.workflow_version} "
            f"({job.workflow_hash}) is neither shipped nor in the orchestration's input"
        )
    start = status.input_
    start = JobStartMessage.model_validate_json(start) if isinstance(start, str) else start
    return JobStartMessage.model_validate(start).workflow.definition


def durable_links(client: df.DurableOrchestrationClient, job_id: str) -> dict[str, str]:
    """The Durable Functions management API for the job's instance (with its history) and
    for every instance of the job (batches ``<job>.<fan_out>@<n>``, sub-workflow jobs
    ``<job>.<node>.<attempt>``), as the durable client binding builds them (its system key
    included, as in the SDK's check-status response)."""
    # The binding's own base URL, never the request's Host (as for the API's links).
    status = client.create_http_management_payload(job_id)["statusQueryGetUri"]
    base, _, query = status.partition("?")
    instances = base[: base.rindex("/")]
    return {
        "status": f"{status}&showHistory=true",
        "instances": f"{instances}?{query}&instanceIdPrefix={quote(job_id, safe='')}",
    }


def failures(events: list[JobEvent]) -> list[dict[str, Any]]:
    """Nodes that failed for good (or timed out), with their error, in the order they did."""
    kinds = (EventKind.NODE_FAILED, EventKind.NODE_TIMED_OUT)
    return [
        {"node_id": e.node_id, "kind": e.kind.value.split(".")[1], "error": e.data.get("error")}
        for e in events
        if e.kind in kinds
    ]


def _list_query(req: func.HttpRequest) -> ListJobsQuery:
    """The API's own query model; the filter form sends empty fields for "any"."""
    given = {k: v for k, v in req.params.items() if v}
    query: ListJobsQuery = parse(ListJobsQuery, {"limit": str(PAGE_SIZES[0]), **given}, "query")
    return query


@bp.route(route="ui/jobs", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def jobs_page(req: func.HttpRequest) -> func.HttpResponse:
    p = page(req)
    query = _list_query(req)
    try:
        listing = await asyncio.to_thread(
            (await catalog()).list_jobs,
            **query.model_dump(include={"status", "workflow_id", "asset_id", "limit", "cursor"}),
            created_from=query.created_from,
            created_to=query.created_to,
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    filters = {k: req.params.get(k, "") for k in (*_FILTERS, "limit")}
    next_url = None
    if listing.next_cursor:
        kept = {k: v for k, v in filters.items() if v}
        next_url = "/ui/jobs?" + urlencode({**kept, "cursor": listing.next_cursor})
    return p.render(
        "jobs.html",
        jobs=listing.items,
        filters=filters,
        statuses=[s.value for s in JobStatus],
        page_sizes=PAGE_SIZES,
        next_url=next_url,
    )


async def _job_view(
    client: df.DurableOrchestrationClient, job_id: str
) -> tuple[JobRecord, WorkflowDefinition, JobCatalog]:
    cat = await catalog()
    job = await find_job(cat, job_id)
    return job, await pinned_definition(client, job), cat


@bp.route(route="ui/jobs/{job_id}", methods=["GET"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def job_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    p = page(req)
    job, definition, cat = await _job_view(client, req.route_params["job_id"])
    states, events = await asyncio.gather(
        asyncio.to_thread(cat.node_states, job.job_id), asyncio.to_thread(cat.timeline, job.job_id)
    )
    state = graph_state(definition, states)
    selected = req.params.get("node")
    panel = await _panel(cat, job, definition, selected, states) if selected else None
    approvals = [n.id for n in definition.nodes if isinstance(n, ApprovalNode)]
    return p.render(
        "job.html",
        job=job,
        definition=definition,
        graph=layout(definition),
        state=state,
        gantt=gantt(events, datetime.now(UTC)),
        failures=failures(events),
        durable=durable_links(client, job.job_id),
        approvals=approvals,
        final_statuses=FINAL_NODE_STATUSES,
        panel=panel,
        notice=NOTICES.get(req.params.get("notice", "")),
    )


@bp.route(route="ui/jobs/{job_id}/live", methods=["GET"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def job_live(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """What the job page polls: the job's status and its graph's state, nothing more."""
    p = page(req)
    job, definition, cat = await _job_view(client, req.route_params["job_id"])
    states = await asyncio.to_thread(cat.node_states, job.job_id)
    return p.json(
        {
            "status": job.status.value,
            "final": job.status.is_final,
            **graph_state(definition, states),
        }
    )


@bp.route(route="ui/jobs/{job_id}/gantt", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def job_gantt(req: func.HttpRequest) -> func.HttpResponse:
    """The Gantt timeline alone, for the page to refresh while the job runs."""
    p = page(req)
    cat = await catalog()
    job = await find_job(cat, req.route_params["job_id"])
    events = await asyncio.to_thread(cat.timeline, job.job_id)
    return p.render("_gantt.html", gantt=gantt(events, datetime.now(UTC)))


def _node_or_parent(definition: WorkflowDefinition, node_id: str) -> NodeDefinition | None:
    """The node, or for a fan-out child like ``tiles[3]`` its fan-out."""
    for candidate in (node_id, parent_of(node_id)):
        try:
            return definition.node(candidate) if candidate else None
        except KeyError:
            continue
    return None


async def _panel(
    cat: JobCatalog,
    job: JobRecord,
    definition: WorkflowDefinition,
    node_id: str,
    states: list[tuple[str, str]],
) -> dict[str, Any]:
    node = _node_or_parent(definition, node_id)
    if node is None:
        raise NoSuchNode(f"job '{job.job_id}' has no node '{node_id}'")
    attempts = await asyncio.to_thread(cat.list_node_attempts, job.job_id, node_id)
    latest = attempts[-1] if attempts else None
    children = []
    if isinstance(node, FanOutNode) and node.id == node_id:
        prefix = node_id + "["
        children = sorted(
            ((cid, status) for cid, status in states if cid.startswith(prefix)),
            key=lambda c: int(c[0][len(prefix) : -1]),
        )
    sub_job = None
    if isinstance(node, SubWorkflowNode) and latest is not None:
        sub_job = f"{job.job_id}.{node_id}.{latest.attempt}"
    return {
        "node_id": node_id,
        "node": node,
        "definition": node.model_dump(mode="json", exclude_none=True, exclude={"id"}),
        "status": latest.status.value if latest else "pending",
        "attempts": attempts,
        "latest": latest,
        "output_ref": latest is not None and contains_ref(latest.output),
        "children": children[:200],
        "more_children": max(0, len(children) - 200),
        "sub_job": sub_job,
        "is_approval": isinstance(node, ApprovalNode),
    }


@bp.route(route="ui/jobs/{job_id}/nodes/{node_id}", methods=["GET"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def node_panel(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """The node panel alone (the page loads it when a node is clicked)."""
    p = page(req)
    job, definition, cat = await _job_view(client, req.route_params["job_id"])
    states = await asyncio.to_thread(cat.node_states, job.job_id)
    panel = await _panel(cat, job, definition, req.route_params["node_id"], states)
    return p.render("_panel.html", job=job, panel=panel)


@bp.route(route="ui/jobs/{job_id}/cancel", methods=["POST"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def cancel_from_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    p = page(req)
    form = p.form()
    command = CancelJob(
        job_id=req.route_params["job_id"], by=p.user, reason=form.get("reason") or None
    )
    job = await cancel_job(command, client)
    return p.redirect(f"/ui/jobs/{quote(job.job_id, safe='')}?notice=cancel")


@bp.route(route="ui/jobs/{job_id}/approve/{node_id}", methods=["POST"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def approve_from_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    p = page(req)
    form = p.form()
    decision = form.get("decision")
    if decision not in ("approve", "reject"):
        raise BadRequest(f"decision: {decision!r} is not 'approve' or 'reject'")
    job_id = req.route_params["job_id"]
    approved = decision == "approve"
    sent = ApprovalDecision(
        job_id=job_id,
        node_id=req.route_params["node_id"],
        approved=approved,
        by=p.user,
        reason=form.get("reason") or None,
    )
    await decide_approval(sent, client)
    notice = "approved" if approved else "rejected"
    return p.redirect(f"/ui/jobs/{quote(job_id, safe='')}?notice={notice}")
