"""`run_handler`: runs a light handler from the shared registry inside an activity."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df

import handlers
import wiring
from adapters.outputs import contains_ref, offload, resolve_refs
from domain.jobs import HandlerOutcome, RunHandler
from domain.names import RUN_HANDLER
from domain.state import NodeError
from handlers import HandlerError, LocalContext
from handlers.base import redact

bp = df.Blueprint()
log = logging.getLogger("dagmaster.activities")


def run(message: RunHandler) -> HandlerOutcome:
    """Handler errors become a classified outcome (the activity itself succeeds), so the
    orchestrator applies the node's retry policy, not the host's."""
    ctx = LocalContext(job_id=message.job_id, node_id=message.node_id, attempt=message.attempt)
    try:
        params = message.params
        if contains_ref(params):
            params = resolve_refs(wiring.json_blobs(), params)
        output = handlers.registry.run(message.handler, params, ctx)
    except HandlerError as exc:
        log.warning(
            "%s/%s attempt %s: %s (%s)",
            message.job_id,
            message.node_id,
            message.attempt,
            exc.message,
            exc.kind,
        )
        return HandlerOutcome(
            ok=False, error=NodeError(kind=exc.kind, message=exc.message, retryable=exc.retryable)
        )
    except Exception as exc:  # a bug or a transient fault in the handler: retry it
        log.exception("%s/%s attempt %s crashed", message.job_id, message.node_id, message.attempt)
        return HandlerOutcome(
            ok=False,
            error=NodeError(
                kind="unexpected", message=redact(f"{type(exc).__name__}: {exc}"), retryable=True
            ),
        )
    key = f"{message.job_id}/{message.node_id}/{message.attempt}"
    output = offload(wiring.json_blobs, output, message.large_output_bytes, key=key)
    return HandlerOutcome(ok=True, output=output)


@bp.activity_trigger(input_name="message", activity=RUN_HANDLER)
def run_handler(message: dict[str, Any]) -> dict[str, Any]:
    return run(RunHandler.model_validate(message)).model_dump(mode="json")


__all__ = ["bp", "run", "run_handler"]
