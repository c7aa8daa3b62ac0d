"""The dashboard (`/ui/`), `GET /` (a redirect to it) and the console's static files."""

from __future__ import annotations

import asyncio
import mimetypes
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
from azure.core.exceptions import ResourceNotFoundError

from adapters.taskqueue import TaskQueueSettings
from adapters.taskqueue.storage import queue_client
from api.health import _checks as dependency_checks  # the readiness probe's own checks
from console.assets import awaiting_review
from console.web import ANONYMOUS, HERE, bp, catalog, console_errors, page
from domain.status import JobStatus

STATIC = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}


def _check_task_queue() -> dict[str, Any]:
    """A Storage queue answers for its properties; Service Bus is only configured here (its
    namespace is reached on the first send, and reading queue properties needs Manage)."""
    try:
        settings = TaskQueueSettings.from_env()
        if settings.backend != "storage":
            return {
                "ok": True,
                "note": f"{settings.backend} queue {settings.queue_name!r} (not probed)",
            }
        name = settings.queue_name
        try:
            queue_client(settings.storage, name).get_queue_properties()
        except ResourceNotFoundError:  # the first heavy task creates it
            return {"ok": True, "note": f"storage queue {name!r} not created yet"}
        return {"ok": True, "note": f"storage queue {name!r}"}
    except Exception as exc:  # a probe reports, it does not raise
        return {"ok": False, "error": str(exc)}


@bp.route(route="{ignored:maxlength(0)?}", methods=["GET"], auth_level=ANONYMOUS)
async def root(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=302, headers={"Location": "/ui/"})


@bp.route(route="ui", methods=["GET"], auth_level=ANONYMOUS)
@console_errors
async def dashboard(req: func.HttpRequest) -> func.HttpResponse:
    p = page(req)
    cat = await catalog()
    since = datetime.now(UTC) - timedelta(days=1)
    counts, running, failed, checks, queue, review = await asyncio.gather(
        asyncio.to_thread(cat.job_status_counts, since),
        asyncio.to_thread(cat.list_jobs, status=JobStatus.RUNNING, limit=20),
        asyncio.to_thread(cat.list_jobs, status=JobStatus.FAILED, created_from=since, limit=10),
        dependency_checks(),
        asyncio.to_thread(_check_task_queue),
        asyncio.to_thread(awaiting_review),
    )
    return p.render(
        "dashboard.html",
        counts={s.value: counts.get(s.value, 0) for s in JobStatus},
        running=running.items,
        failed=failed.items,
        health={**checks, "task queue": queue},
        awaiting_review=review,
    )


@bp.route(route="ui/static/{name}", methods=["GET"], auth_level=ANONYMOUS)
async def static_file(req: func.HttpRequest) -> func.HttpResponse:
    path = STATIC.get(req.route_params["name"])
    if path is None:
        return func.HttpResponse(status_code=404)
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return func.HttpResponse(
        path.read_bytes(),
        mimetype=kind,
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
