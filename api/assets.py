"""Assets over HTTP: the B2B routes (`/api/platform/...`, `/api/platforms`) and the
reviewers' routes (`/api/assets/...`). Handlers parse, call one `application.assets` use
case or read the read model, and format; who acts comes from App Service Authentication's
`X-MS-CLIENT-PRINCIPAL-NAME` (devhost: `--principal`), else from `by` in the body, and with
``DAGMASTER_ACCESS=entra`` from the Entra principal only; the credential that acted
(`domain.access.Caller.via`) goes with every command."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import azure.durable_functions as df
import azure.functions as func

import wiring
from adapters.catalog.assets import AssetRecord, AssetVersionRecord
from api import contract
from api.access import body_platform, current_caller, guard, own_platform, sees
from api.asset_models import (
    AssetListQuery,
    AssetPage,
    AssetView,
    CommandAnswerView,
    HistoryPage,
    PlatformPage,
    PlatformStatusView,
    RevisionView,
    StatusQuery,
    SubmitAnswer,
    VersionPage,
    VersionView,
)
from api.http import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    json_body,
    json_errors,
    json_response,
    parse,
    parse_query,
)
from application import assets as use_cases
from application.errors import InvalidRequest
from config.settings import AccessSettings
from domain.access import Rule
from domain.assets import ASSET_ID_PATTERN, Approval, Outcome
from domain.platforms import PlatformDefinition

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


async def _call(coro: Awaitable[use_cases.CommandAnswer]) -> use_cases.CommandAnswer:
    """Await a use case, turning its errors into HTTP errors."""
    try:
        return await coro
    except InvalidRequest as exc:
        raise BadRequest(str(exc), fields=exc.fields) from exc


def _principal(req: func.HttpRequest) -> str | None:
    return req.headers.get(PRINCIPAL_HEADER) or None


def _base(req: func.HttpRequest) -> str:
    """Links start from configuration or the host's own name, never from the request's Host."""
    return AccessSettings.from_env().link("")


def _command_link(req: func.HttpRequest, answer: use_cases.CommandAnswer) -> str:
    return f"{_base(req)}/runtime/webhooks/durabletask/instances/{answer.instance_id}"


def _check_asset_id(asset_id: str) -> str:
    """An id dagmaster cannot have made names no asset (and never reaches an entity key)."""
    if re.fullmatch(ASSET_ID_PATTERN, asset_id) is None:
        raise NotFound(f"unknown asset '{asset_id}' (asset ids look like ddh-<32 hex digits>)")
    return asset_id


# B2B -------------------------------------------------------------------------------------


@contract.route(
    bp,
    "POST",
    "api/platform/submit",
    SubmitAnswer,
    status=202,
    body=use_cases.SubmitBody,
    errors=(403, 409),
)
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.SUBMIT, platform_of=body_platform)
async def platform_submit(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """A new version of a platform's asset; 202 once the version is recorded and its job
    started. The same request_id with the same body returns the same answer."""
    body: use_cases.SubmitBody = parse(use_cases.SubmitBody, json_body(req))
    answer = await _call(use_cases.submit(body, _principal(req), client, current_caller()))
    request_id = answer.request_id or ""
    base = _base(req)
    links = {
        "status": f"{base}/api/platform/status/{quote(request_id, safe='')}",
        "asset": f"{base}/api/assets/{answer.asset_id}",
    }
    outcome = answer.outcome
    if outcome is None:
        links["command"] = _command_link(req, answer)
        pending = SubmitAnswer(
            request_id=request_id, asset_id=answer.asset_id, status="pending", links=links
        )
        return json_response(pending, 202, headers={"Location": links["command"]})
    if not outcome.ok:
        raise _refused(outcome, request_id=request_id, asset_id=answer.asset_id)
    job_id = str(outcome.result["job_id"])
    links["job"] = f"{base}/api/jobs/{job_id}"
    accepted = SubmitAnswer(
        request_id=request_id,
        asset_id=answer.asset_id,
        version_ordinal=outcome.result["ordinal"],
        job_id=job_id,
        status="accepted",
        links=links,
    )
    return json_response(accepted, 202, headers={"Location": links["status"]})


@contract.route(
    bp,
    "GET",
    "api/platform/status/{request_id}",
    PlatformStatusView,
    query=StatusQuery,
    errors=(404,),
)
@json_errors
@guard(Rule.READ)
async def platform_status(req: func.HttpRequest) -> func.HttpResponse:
    """Where a submission is: its version's processing, approval, the asset's clearance,
    the job's status and outputs. ``platform_id`` picks one if platforms share the id."""
    request_id = req.route_params["request_id"]
    query: StatusQuery = parse_query(StatusQuery, req)
    catalog = wiring.asset_catalog()
    found = await asyncio.to_thread(catalog.requests, request_id)
    if query.platform_id:
        found = [r for r in found if r.platform_id == query.platform_id]
    if (own := own_platform()) is not None:  # access: a platform sees its own requests only
        found = [r for r in found if r.platform_id == own]
    if not found:
        raise NotFound(f"unknown request '{request_id}'")
    if len(found) > 1:
        platforms = ", ".join(r.platform_id for r in found)
        raise BadRequest(f"request '{request_id}' exists for {platforms}: pass platform_id")
    request = found[0]
    view = PlatformStatusView(
        request_id=request_id,
        platform_id=request.platform_id,
        asset_id=request.asset_id,
        status="pending",
        version_ordinal=request.ordinal,
        job_id=request.job_id,
    )
    outcome = request.outcome
    if outcome is None:
        return json_response(view)
    if not outcome.get("ok"):
        refusal = outcome.get("refusal")
        error = refusal if isinstance(refusal, dict) else None
        return json_response(view.model_copy(update={"status": "refused", "error": error}))
    asset = await asyncio.to_thread(catalog.get_asset, request.asset_id)
    versions = await asyncio.to_thread(catalog.versions, request.asset_id)
    version = next((v for v in versions if v.ordinal == request.ordinal), None)
    if asset is None or version is None:  # projected in the same orchestration; not yet
        return json_response(view.model_copy(update={"status": "accepted"}))
    job = await asyncio.to_thread(wiring.catalog().get_job, version.job_id)
    current = {
        "status": "accepted",
        "job_id": version.job_id,
        "job_status": job.status.value if job else None,
        "processing": version.processing,
        "approval": version.approval,
        "clearance": asset.clearance,
        "outputs": version.outputs,
        "error": version.error,
    }
    return json_response(PlatformStatusView.model_validate({**view.model_dump(), **current}))


@contract.route(bp, "GET", "api/platforms", PlatformPage)
@json_errors
@guard(Rule.READ)
async def list_platforms(req: func.HttpRequest) -> func.HttpResponse:
    """The platform registry: who may submit, what identifies their assets, which workflow
    each data type runs (a platform sees its own entry only)."""
    entries = [p for p in wiring.platforms().all() if sees(p.platform_id)]  # access
    return json_response(PlatformPage(items=entries))


@contract.route(bp, "GET", "api/platforms/{platform_id}", PlatformDefinition, errors=(404,))
@json_errors
@guard(Rule.READ)
async def get_platform(req: func.HttpRequest) -> func.HttpResponse:
    """One registry entry."""
    platform_id = req.route_params["platform_id"]
    try:
        entry = wiring.platforms().get(platform_id)
    except KeyError:
        entry = None
    if entry is None or not sees(platform_id):  # access: another platform's entry is unknown
        raise NotFound(f"unknown platform '{platform_id}'")
    return json_response(entry)


# Reviewers -------------------------------------------------------------------------------


@contract.route(bp, "GET", "api/assets", AssetPage, query=AssetListQuery)
@json_errors
@guard(Rule.READ)
async def list_assets(req: func.HttpRequest) -> func.HttpResponse:
    """Newest first; ``approval`` and ``processing`` filter on each asset's latest version."""
    query: AssetListQuery = parse_query(AssetListQuery, req)
    if (own := own_platform()) is not None:  # access: a platform lists its own assets only
        if query.platform_id not in (None, own):
            return json_response(AssetPage(items=[], next_cursor=None))
        query = query.model_copy(update={"platform_id": own})
    try:
        page = await asyncio.to_thread(
            wiring.asset_catalog().list_assets,
            platform_id=query.platform_id,
            clearance=query.clearance.value if query.clearance else None,
            approval=query.approval.value if query.approval else None,
            processing=query.processing.value if query.processing else None,
            deleted=query.deleted,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ValueError as exc:
        raise BadRequest(str(exc), fields={"cursor": str(exc)}) from exc
    items = [AssetView.of(a) for a in page.items]
    return json_response(AssetPage(items=items, next_cursor=page.next_cursor))


async def _read(asset_id: str) -> tuple[AssetRecord, list[AssetVersionRecord]]:
    _check_asset_id(asset_id)
    catalog = wiring.asset_catalog()
    asset = await asyncio.to_thread(catalog.get_asset, asset_id)
    if asset is None or own_platform() not in (None, asset.platform_id):  # access
        raise NotFound(f"unknown asset '{asset_id}'")
    return asset, await asyncio.to_thread(catalog.versions, asset_id)


def _ordinal(req: func.HttpRequest) -> int:
    raw = req.route_params["ordinal"]
    if re.fullmatch(r"[1-9][0-9]{0,8}", raw) is None:  # ASCII digits only: "²".isdigit()
        raise BadRequest(f"ordinal: {raw!r} is not a version number (1, 2, ...)")
    return int(raw)


def _command_answer(req: func.HttpRequest, answer: use_cases.CommandAnswer) -> func.HttpResponse:
    links = {"asset": f"{_base(req)}/api/assets/{answer.asset_id}"}
    outcome = answer.outcome
    if outcome is None:
        links["command"] = _command_link(req, answer)
        pending = CommandAnswerView(asset_id=answer.asset_id, status="pending", links=links)
        return json_response(pending, 202, headers={"Location": links["command"]})
    if not outcome.ok:
        raise _refused(outcome, asset_id=answer.asset_id)
    done = CommandAnswerView(
        asset_id=answer.asset_id,
        status="done",
        command=outcome.kind,
        revision=outcome.revision,
        duplicate=outcome.duplicate,
        result=outcome.result,
        clearance=outcome.state.clearance if outcome.state else None,
        links=links,
    )
    return json_response(done)


async def _review(
    req: func.HttpRequest,
    client: Any,
    action: str,
    ordinal: int | None = None,
    body_model: type[use_cases.ReviewBody] = use_cases.ReviewBody,
) -> func.HttpResponse:
    body: use_cases.ReviewBody = parse(body_model, json_body(req))
    asset_id = _check_asset_id(req.route_params["asset_id"])
    answer = await _call(
        use_cases.review(asset_id, action, body, _principal(req), client, ordinal, current_caller())
    )
    return _command_answer(req, answer)


@contract.route(bp, "GET", "api/assets/{asset_id}", AssetView, errors=(404,))
@json_errors
@guard(Rule.READ)
async def get_asset(req: func.HttpRequest) -> func.HttpResponse:
    """The asset with its versions and what reviewers may do with it now (``actions``)."""
    found, versions = await _read(req.route_params["asset_id"])
    return json_response(AssetView.of(found, versions, use_cases.actions(found, versions)))


@contract.route(
    bp,
    "DELETE",
    "api/assets/{asset_id}",
    CommandAnswerView,
    body=use_cases.ReviewBody,
    errors=(403, 404, 409),
)
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def delete_asset(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Soft delete {by?, reason, request_id?}: unpublishes; afterwards only reads work."""
    return await _review(req, client, "delete")


@contract.route(bp, "GET", "api/assets/{asset_id}/versions", VersionPage, errors=(404,))
@json_errors
@guard(Rule.READ)
async def asset_versions(req: func.HttpRequest) -> func.HttpResponse:
    """Every version of the asset, oldest first."""
    found, versions = await _read(req.route_params["asset_id"])
    items = [VersionView.of(v) for v in versions]
    return json_response(VersionPage(asset_id=found.asset_id, items=items))


@contract.route(bp, "GET", "api/assets/{asset_id}/versions/{ordinal}", VersionView, errors=(404,))
@json_errors
@guard(Rule.READ)
async def asset_version(req: func.HttpRequest) -> func.HttpResponse:
    """One version; ``latest`` is the latest approved one (404 if none is)."""
    found, versions = await _read(req.route_params["asset_id"])
    if req.route_params["ordinal"] == "latest":
        approved = [v for v in versions if v.approval == Approval.APPROVED.value]
        if not approved:
            raise NotFound(f"asset '{found.asset_id}' has no approved version")
        return json_response(VersionView.of(approved[-1]))
    ordinal = _ordinal(req)
    version = next((v for v in versions if v.ordinal == ordinal), None)
    if version is None:
        raise NotFound(f"asset '{found.asset_id}' has no version {ordinal}")
    return json_response(VersionView.of(version))


@contract.route(bp, "GET", "api/assets/{asset_id}/history", HistoryPage, errors=(404,))
@json_errors
@guard(Rule.READ)
async def asset_history(req: func.HttpRequest) -> func.HttpResponse:
    """Every revision, oldest first: who did what, why and when."""
    found, _ = await _read(req.route_params["asset_id"])
    revisions = await asyncio.to_thread(wiring.asset_catalog().revisions, found.asset_id)
    items = [RevisionView.of(r) for r in revisions]
    return json_response(HistoryPage(asset_id=found.asset_id, items=items))


def _command_route(path: str) -> Callable[[Any], Any]:
    return contract.route(
        bp, "POST", path, CommandAnswerView, body=use_cases.ReviewBody, errors=(403, 404, 409)
    )


@_command_route("api/assets/{asset_id}/versions/{ordinal}/approve")
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def approve_version(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Approve a version {by?, reason, request_id?}: only once its processing completed.

    409 names the version's state and what is allowed."""
    return await _review(req, client, "approve", _ordinal(req))


@_command_route("api/assets/{asset_id}/versions/{ordinal}/reject")
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def reject_version(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Reject a version {by?, reason, request_id?}: once its processing completed, or withdraw
    its approval (which unpublishes it if it was the published version).

    409 names the version's state and what is allowed."""
    return await _review(req, client, "reject", _ordinal(req))


@_command_route("api/assets/{asset_id}/versions/{ordinal}/reprocess")
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def reprocess_version(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Run a new job for a failed or not yet reviewed version {by?, reason, request_id?}."""
    return await _review(req, client, "reprocess", _ordinal(req))


@_command_route("api/assets/{asset_id}/clearance/cleared")
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def clear_asset(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Clearance cleared {by?, reason, request_id?}: from uncleared, or back from public
    (which unpublishes)."""
    return await _review(req, client, "cleared")


@_command_route("api/assets/{asset_id}/clearance/public")
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def publish_asset(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Clearance public {by?, reason, request_id?}: from cleared, with an approved version
    (the latest approved one is published)."""
    return await _review(req, client, "public")


@contract.route(
    bp,
    "POST",
    "api/assets/{asset_id}/publication/retry",
    CommandAnswerView,
    body=use_cases.RetryBody,
    errors=(403, 404, 409),
)
@bp.durable_client_input(client_name="client")
@json_errors
@guard(Rule.REVIEW)
async def retry_publication(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """Retry the asset's failed publication {by?, reason?, request_id?}: a new job toward what
    should be public now (publish the public version, or unpublish; on a deleted asset only a
    failed unpublish).

    409 names the publication's state (running, succeeded, none) and what is allowed."""
    return await _review(req, client, "retry_publication", body_model=use_cases.RetryBody)
