"""The HTTP routes of the shipped workflows (`wiring.workflows()`)."""

from __future__ import annotations

import azure.functions as func

import wiring
from api.http import json_errors, json_response
from api.workflow_lookup import find
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


@bp.route(route="api/workflows", methods=["GET"])
@json_errors
async def list_workflows(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"items": [_summary(d) for d in wiring.workflows().latest()]})


@bp.route(route="api/workflows/{workflow_id}", methods=["GET"])
@json_errors
async def get_workflow(req: func.HttpRequest) -> func.HttpResponse:
    version = req.params.get("version")
    definition = find(req.route_params["workflow_id"], int(version) if version else None)
    return json_response(
        {
            **_summary(definition),
            "definition": definition.model_dump(mode="json", exclude_none=True),
            "mermaid": to_mermaid(definition),
        }
    )
