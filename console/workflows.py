"""Workflow pages: the list, and one workflow's definition, inputs, graph and submit form."""

from __future__ import annotations

from urllib.parse import quote

import azure.durable_functions as df
import azure.functions as func
import yaml

import wiring
from api.http import BadRequest
from application.jobs import JobSubmission, submit_job
from application.workflows import find
from console.forms import form_fields, parse_form
from console.layout import layout
from console.web import ANONYMOUS, Page, bp, console_errors, page
from domain.inputs import InputError
from domain.models import WorkflowDefinition
from domain.snapshot import content_hash


@bp.route(route="ui/workflows", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def workflows_page(req: func.HttpRequest) -> func.HttpResponse:
    p = page(req)
    versions: dict[str, list[int]] = {}
    for workflow_id, version in sorted(wiring.workflows().workflows):
        versions.setdefault(workflow_id, []).append(version)
    return p.render("workflows.html", workflows=wiring.workflows().latest(), versions=versions)


def _definition(req: func.HttpRequest) -> WorkflowDefinition:
    version = req.params.get("version") or None
    if version is not None and not version.isdigit():
        raise BadRequest(f"version: {version!r} is not a positive integer")
    return find(req.route_params["workflow_id"], int(version) if version else None)


def _render(
    p: Page,
    definition: WorkflowDefinition,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> func.HttpResponse:
    data = definition.model_dump(mode="json", exclude_none=True)
    others = sorted(v for w, v in wiring.workflows().workflows if w == definition.workflow_id)
    return p.render(
        "workflow.html",
        status=status,
        definition=definition,
        hash=content_hash(definition),
        versions=others,
        source=yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        graph=layout(definition),
        fields=form_fields(definition, values, errors),
        values=values or {},
        errors=errors or {},
    )


@bp.route(route="ui/workflows/{workflow_id}", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def workflow_page(req: func.HttpRequest) -> func.HttpResponse:
    return _render(page(req), _definition(req))


@bp.route(route="ui/workflows/{workflow_id}/submit", methods=["POST"], auth_level=ANONYMOUS)
@bp.durable_client_input(client_name="client")
@console_errors
async def submit_from_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Submit a job from the form; bad inputs re-render the form naming each field (400)."""
    p = page(req)
    form = p.form()
    definition = _definition(req)
    try:
        inputs = parse_form(definition, form)
    except InputError as exc:
        return _render(p, definition, form, exc.problems, status=400)
    submission = JobSubmission(
        workflow_id=definition.workflow_id,
        version=definition.version,
        inputs=inputs,
        asset_id=form.get("asset_id") or None,
    )
    job = (await submit_job(submission, client)).job
    return p.redirect(f"/ui/jobs/{quote(job.job_id, safe='')}?notice=submitted")
