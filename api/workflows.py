"""The HTTP routes of the shipped workflows (`wiring.workflows()`)."""

from __future__ import annotations

import azure.functions as func

import wiring
from api import contract
from api.http import json_errors, json_response, parse_query
from api.models import WorkflowList, WorkflowQuery, WorkflowView
from application.workflows import find
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


@contract.route(bp, "GET", "api/workflows", WorkflowList)
@json_errors
async def list_workflows(req: func.HttpRequest) -> func.HttpResponse:
    """The latest version of every workflow, with its declared inputs."""
    return json_response({"items": [_summary(d) for d in wiring.workflows().latest()]})


@contract.route(
    bp, "GET", "api/workflows/{workflow_id}", WorkflowView, query=WorkflowQuery, errors=(404,)
)
@json_errors
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
