"""Assets over HTTP: the B2B routes (`/api/platform/...`, `/api/platforms`) and the
reviewers' routes (`/api/assets/...`). Handlers parse, call one `application.assets` use
case or read the read model, and format; who acts comes from App Service Authentication's
`X-MS-CLIENT-PRINCIPAL-NAME` (devhost: `--principal`), else from `by` in the body."""

from __future__ import annotations

import asyncio
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel, ValidationError

from activities import deps
from adapters.catalog.assets import AssetRecord, AssetVersionRecord
from api.http import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    json_body,
    json_errors,
    json_response,
)
from application import assets as use_cases
from application.platforms import registry
from domain.assets import Approval, Clearance, Outcome, Processing

bp = df.Blueprint()

PRINCIPAL_HEADER = "x-ms-client-principal-name"
_REFUSAL_ERROR: dict[str, type[ApiError]] = {
    "conflict": Conflict,
    "not_found": NotFound,
    "invalid": BadRequest,
}


def _refused(outcome: Outcome, **extra: Any) -> ApiError:
    """The state machine's refusal as an HTTP error: the current state and what is allowed."""
    refusal = outcome.refusal
    assert refusal is not None
    error = _REFUSAL_ERROR[refusal.code]
    return error(refusal.message, current=refusal.current, allowed=refusal.allowed, **extra)


def _parse(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields = {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors(include_url=False)}
        raise BadRequest("invalid request body", fields=fields) from exc


async def _call(coro: Any) -> use_cases.CommandAnswer:
    """Await a use case, turning its errors into HTTP errors."""
    try:
        return await coro
    except use_cases.InvalidRequest as exc:
        raise BadRequest(str(exc), fields=exc.fields) from exc
    except use_cases.RequestConflict as exc:
        raise Conflict(str(exc)) from exc


def _principal(req: func.HttpRequest) -> str | None:
    return req.headers.get(PRINCIPAL_HEADER) or None


def _base(req: func.HttpRequest) -> str:
    return req.url.split("/api/")[0]


def _pending(req: func.HttpRequest, answer: use_cases.CommandAnswer, **extra: Any) -> Any:
    status = f"{_base(req)}/runtime/webhooks/durabletask/instances/{answer.instance_id}"
    body = {**extra, "asset_id": answer.asset_id, "status": "pending", "links": {"command": status}}
    return json_response(body, 202, headers={"Location": status})


# B2B -------------------------------------------------------------------------------------


@bp.route(route="api/platform/submit", methods=["POST"])
@bp.durable_client_input(client_name="client")
@json_errors
async def platform_submit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """A new version of a platform's asset; 202 once the version is recorded and its job
    started. The same request_id with the same body returns the same answer."""
    body: use_cases.SubmitBody = _parse(use_cases.SubmitBody, json_body(req))
    answer = await _call(use_cases.submit(body, _principal(req), client))
    if answer.outcome is None:
        return _pending(req, answer, request_id=answer.request_id)
    outcome = answer.outcome
    if not outcome.ok:
        raise _refused(outcome, request_id=answer.request_id, asset_id=answer.asset_id)
    job_id = outcome.result["job_id"]
    base = _base(req)
    links = {
        "status": f"{base}/api/platform/status/{answer.request_id}",
        "asset": f"{base}/api/assets/{answer.asset_id}",
        "job": f"{base}/api/jobs/{job_id}",
    }
    accepted = {
        "request_id": answer.request_id,
        "asset_id": answer.asset_id,
        "version_ordinal": outcome.result["ordinal"],
        "job_id": job_id,
        "status": "accepted",
        "links": links,
    }
    return json_response(accepted, 202, headers={"Location": links["status"]})


@bp.route(route="api/platform/status/{request_id}", methods=["GET"])
@json_errors
async def platform_status(req: func.HttpRequest) -> func.HttpResponse:
    """Where a submission is: its version's processing, approval, the asset's clearance,
    the job's status and outputs. ``platform_id`` picks one if platforms share the id."""
    request_id = req.route_params["request_id"]
    catalog = deps.asset_catalog()
    found = await asyncio.to_thread(catalog.requests, request_id)
    platform_id = req.params.get("platform_id")
    if platform_id:
        found = [r for r in found if r.platform_id == platform_id]
    if not found:
        raise NotFound(f"unknown request '{request_id}'")
    if len(found) > 1:
        platforms = ", ".join(r.platform_id for r in found)
        raise BadRequest(f"request '{request_id}' exists for {platforms}: pass platform_id")
    request = found[0]
    body: dict[str, Any] = {
        "request_id": request_id,
        "platform_id": request.platform_id,
        "asset_id": request.asset_id,
        "version_ordinal": request.ordinal,
        "job_id": request.job_id,
        "job_status": None,
        "processing": None,
        "approval": None,
        "clearance": None,
        "outputs": None,
        "error": None,
    }
    outcome = request.outcome
    if outcome is None:
        return json_response({**body, "status": "pending"})
    if not outcome.get("ok"):
        return json_response({**body, "status": "refused", "error": outcome.get("refusal")})
    asset = await asyncio.to_thread(catalog.get_asset, request.asset_id)
    versions = await asyncio.to_thread(catalog.versions, request.asset_id)
    version = next((v for v in versions if v.ordinal == request.ordinal), None)
    if asset is None or version is None:  # projected in the same orchestration; not yet
        return json_response({**body, "status": "accepted"})
    job = await asyncio.to_thread(deps.catalog().get_job, version.job_id)
    body.update(
        status="accepted",
        job_id=version.job_id,
        job_status=job.status.value if job else None,
        processing=version.processing,
        approval=version.approval,
        clearance=asset.clearance,
        outputs=version.outputs,
        error=version.error,
    )
    return json_response(body)


@bp.route(route="api/platforms", methods=["GET"])
@json_errors
async def list_platforms(req: func.HttpRequest) -> func.HttpResponse:
    return json_response({"items": [p.model_dump(mode="json") for p in registry().all()]})


@bp.route(route="api/platforms/{platform_id}", methods=["GET"])
@json_errors
async def get_platform(req: func.HttpRequest) -> func.HttpResponse:
    platform_id = req.route_params["platform_id"]
    try:
        return json_response(registry().get(platform_id).model_dump(mode="json"))
    except KeyError:
        raise NotFound(f"unknown platform '{platform_id}'") from None


# Reviewers -------------------------------------------------------------------------------


def _version(v: AssetVersionRecord) -> dict[str, Any]:
    return v.model_dump(mode="json", exclude={"asset_id"})


def _asset(a: AssetRecord, versions: list[AssetVersionRecord] | None = None) -> dict[str, Any]:
    body = a.model_dump(mode="json")
    if versions is not None:
        body["versions"] = [_version(v) for v in versions]
    return body


def _choice(req: func.HttpRequest, name: str, allowed: list[str]) -> str | None:
    value = req.params.get(name)
    if value is not None and value not in allowed:
        raise BadRequest(f"{name}: {value!r} is not one of {allowed}", fields={name: value})
    return value


@bp.route(route="api/assets", methods=["GET"])
@json_errors
async def list_assets(req: func.HttpRequest) -> func.HttpResponse:
    """Newest first; ``approval`` and ``processing`` filter on each asset's latest version."""
    deleted = _choice(req, "deleted", ["true", "false"])
    try:
        limit = int(req.params.get("limit", "50"))
    except ValueError as exc:
        raise BadRequest("limit: not an integer") from exc
    try:
        page = await asyncio.to_thread(
            deps.asset_catalog().list_assets,
            platform_id=req.params.get("platform_id"),
            clearance=_choice(req, "clearance", [c.value for c in Clearance]),
            approval=_choice(req, "approval", [a.value for a in Approval]),
            processing=_choice(req, "processing", [p.value for p in Processing]),
            deleted=None if deleted is None else deleted == "true",
            limit=limit,
            cursor=req.params.get("cursor"),
        )
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    return json_response(
        {"items": [_asset(a) for a in page.items], "next_cursor": page.next_cursor}
    )


async def _read(asset_id: str) -> tuple[AssetRecord, list[AssetVersionRecord]]:
    catalog = deps.asset_catalog()
    asset = await asyncio.to_thread(catalog.get_asset, asset_id)
    if asset is None:
        raise NotFound(f"unknown asset '{asset_id}'")
    return asset, await asyncio.to_thread(catalog.versions, asset_id)


def _ordinal(req: func.HttpRequest) -> int:
    raw = req.route_params["ordinal"]
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"ordinal: {raw!r} is not a version number (1, 2, ...)")
    return int(raw)


def _command_answer(req: func.HttpRequest, answer: use_cases.CommandAnswer) -> Any:
    if answer.outcome is None:
        return _pending(req, answer)
    outcome = answer.outcome
    if not outcome.ok:
        raise _refused(outcome, asset_id=answer.asset_id)
    state = outcome.state
    body = {
        "asset_id": answer.asset_id,
        "command": outcome.kind,
        "revision": outcome.revision,
        "duplicate": outcome.duplicate,
        "result": outcome.result,
        "clearance": state.clearance.value if state else None,
        "links": {"asset": f"{_base(req)}/api/assets/{answer.asset_id}"},
    }
    return json_response(body)


async def _review(
    req: func.HttpRequest, client: Any, action: str, ordinal: int | None = None
) -> func.HttpResponse:
    body: use_cases.ReviewBody = _parse(use_cases.ReviewBody, json_body(req))
    asset_id = req.route_params["asset_id"]
    answer = await _call(
        use_cases.review(asset_id, action, body, _principal(req), client, ordinal=ordinal)
    )
    return _command_answer(req, answer)


@bp.route(route="api/assets/{asset_id}", methods=["GET", "DELETE"])
@bp.durable_client_input(client_name="client")
@json_errors
async def asset_item(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """GET: the asset with its versions. DELETE {by?, reason}: soft delete (unpublishes)."""
    if req.method.upper() == "DELETE":
        return await _review(req, client, "delete")
    found, versions = await _read(req.route_params["asset_id"])
    return json_response(_asset(found, versions))


@bp.route(route="api/assets/{asset_id}/versions", methods=["GET"])
@json_errors
async def asset_versions(req: func.HttpRequest) -> func.HttpResponse:
    found, versions = await _read(req.route_params["asset_id"])
    return json_response({"asset_id": found.asset_id, "items": [_version(v) for v in versions]})


@bp.route(route="api/assets/{asset_id}/versions/{ordinal}", methods=["GET"])
@json_errors
async def asset_version(req: func.HttpRequest) -> func.HttpResponse:
    """One version; ``latest`` is the latest approved one (404 if none is)."""
    found, versions = await _read(req.route_params["asset_id"])
    if req.route_params["ordinal"] == "latest":
        approved = [v for v in versions if v.approval == Approval.APPROVED.value]
        if not approved:
            raise NotFound(f"asset '{found.asset_id}' has no approved version")
        return json_response(_version(approved[-1]))
    ordinal = _ordinal(req)
    version = next((v for v in versions if v.ordinal == ordinal), None)
    if version is None:
        raise NotFound(f"asset '{found.asset_id}' has no version {ordinal}")
    return json_response(_version(version))


@bp.route(route="api/assets/{asset_id}/history", methods=["GET"])
@json_errors
async def asset_history(req: func.HttpRequest) -> func.HttpResponse:
    """Every revision, oldest first: who did what, why and when."""
    found, _ = await _read(req.route_params["asset_id"])
    revisions = await asyncio.to_thread(deps.asset_catalog().revisions, found.asset_id)
    items = [r.model_dump(mode="json", exclude={"asset_id"}) for r in revisions]
    return json_response({"asset_id": found.asset_id, "items": items})


_VERSION_ACTIONS = ("approve", "reject", "reprocess")


@bp.route(route="api/assets/{asset_id}/versions/{ordinal}/{action}", methods=["POST"])
@bp.durable_client_input(client_name="client")
@json_errors
async def version_action(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """approve | reject | reprocess {by?, reason, request_id?}."""
    action = req.route_params["action"]
    if action not in _VERSION_ACTIONS:
        raise NotFound(f"no version action '{action}' (actions: {', '.join(_VERSION_ACTIONS)})")
    return await _review(req, client, action, _ordinal(req))


@bp.route(route="api/assets/{asset_id}/clearance/{clearance}", methods=["POST"])
@bp.durable_client_input(client_name="client")
@json_errors
async def set_clearance(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """cleared | public {by?, reason, request_id?}."""
    target = req.route_params["clearance"]
    if target not in ("cleared", "public"):
        raise NotFound(f"no clearance '{target}' to set (cleared, public)")
    return await _review(req, client, target)
