"""The shipped workflows, loaded and validated once per process, and their HTTP routes."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import azure.functions as func

import handlers
from api.http import NotFound, json_errors, json_response
from config.settings import AppSettings
from domain.diagram import to_mermaid
from domain.loader import WorkflowSet, load_workflow_dir
from domain.models import WorkflowDefinition
from domain.snapshot import PinnedWorkflow, content_hash, pin

bp = func.Blueprint()

WORKFLOWS_DIR = Path(__file__).resolve().parents[1] / "workflows"


@cache
def workflows() -> WorkflowSet:
    """Every workflow under `DAGMASTER_WORKFLOWS_DIR` (folders separated by the OS path
    separator; default: the app's `workflows/`)."""
    folders = (AppSettings.from_env().workflows_dirs or str(WORKFLOWS_DIR)).split(os.pathsep)
    return load_workflow_dir([Path(f) for f in folders if f], handlers=handlers.registry.names())


def find(workflow_id: str, version: int | None = None) -> WorkflowDefinition:
    try:
        return workflows().get(workflow_id, version)
    except KeyError:
        known = ", ".join(sorted({w for w, _ in workflows().workflows}))
        what = f"workflow '{workflow_id}'" + (f" version {version}" if version else "")
        raise NotFound(f"unknown {what} (known: {known})") from None


def pinned(workflow_id: str, version: int | None) -> PinnedWorkflow:
    return pin(find(workflow_id, version), lambda wid, v: find(wid, v))


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
    return json_response({"items": [_summary(d) for d in workflows().latest()]})


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
