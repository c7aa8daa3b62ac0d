"""The HTTP routes of the shipped workflows (`wiring.workflows()`); every identified caller
may read them (`api.access`)."""

from __future__ import annotations

import azure.functions as func

import wiring
from adapters.catalog.paging import decode_after, encode_after
from api import contract
from api.access import guard
from api.http import BadRequest, json_errors, json_response, parse_query
from api.models import WorkflowList, WorkflowListQuery, WorkflowQuery, WorkflowView
from application.workflows import find
from domain.access import Rule
from domain.diagram import to_mermaid
from domain.models import WorkflowDefinition
from domain.snapshot import content_hash

bp = func.Blueprint()


def _summary(definition: WorkflowDefinition) -> dict[str, object]:
    return {
        "workflow_id": definition.workflow_id,
        "version": definition.version,
        "description": definition.description,
        "hash": content_hash(definition),
        "inputs": {
            k: v.model_dump(mode="json", exclude_none=True) for k, v in definition.inputs.items()
        },
    }


@contract.route(bp, "GET", "api/workflows", WorkflowList, query=WorkflowListQuery)
@json_errors
@guard(Rule.READ)
async def list_workflows(req: func.HttpRequest) -> func.HttpResponse:
    """The latest version of every workflow, with its declared inputs, by id, one page."""
    query: WorkflowListQuery = parse_query(WorkflowListQuery, req)
    after = ""
    if query.cursor is not None:
        try:
            after = str(decode_after(query.cursor, str))
        except ValueError as exc:
            raise BadRequest(f"cursor: {exc}", fields={"cursor": str(exc)}) from exc
    latest = [d for d in wiring.workflows().latest() if d.workflow_id > after]
    page = latest[: query.limit]
    more = len(latest) > query.limit
    return json_response(
        {
            "items": [_summary(d) for d in page],
            "next_cursor": encode_after(page[-1].workflow_id) if more else None,
        }
    )


@contract.route(
    bp, "GET", "api/workflows/{workflow_id}", WorkflowView, query=WorkflowQuery, errors=(404,)
)
@json_errors
@guard(Rule.READ)
async def get_workflow(req: func.HttpRequest) -> func.HttpResponse:
    """One workflow (latest unless `version`): its definition and a Mermaid graph."""
    query: WorkflowQuery = parse_query(WorkflowQuery, req)
    definition = find(req.route_params["workflow_id"], query.version)
    return json_response(
        {
            **_summary(definition),
            "definition": definition.model_dump(mode="json", exclude_none=True),
            "mermaid": to_mermaid(definition),
        }
    )
