"""`asset_command`: one command to one asset, effectively once.

Call the asset's entity with the command, project what it answered into the read model,
start the version's job when `domain.asset_flow.job_to_start` says so, and return the
outcome. Its instance id comes from the request (`command_instance_id`), so a retried request
finds this instance instead of acting twice; orchestration → entity calls are delivered
exactly once and in order, which client signals are not.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from domain.asset_flow import (
    AssetCommandInput,
    ProjectAsset,
    job_finished_report,
    job_to_start,
    report_instance_id,
)
from domain.assets import Outcome
from domain.callbacks import EmitCallbacks
from domain.names import (
    ASSET_COMMAND,
    ASSET_ENTITY,
    EMIT_CALLBACKS,
    PROJECT_ASSET,
    START_ASSET_JOB,
    START_PUBLICATION,
)
from domain.outbound import Outbound, PublicationJob, outbound_for
from entities.asset import OPERATION

bp = df.Blueprint()

# Catalog and start-up hiccups are retried by the host; the entity has already decided.
_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=1000, max_number_of_attempts=5)


@bp.orchestration_trigger(context_name="context", orchestration=ASSET_COMMAND)
def asset_command(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    message = AssetCommandInput.model_validate(context.get_input())
    entity = df.EntityId(ASSET_ENTITY, message.asset_id)
    answer = yield context.call_entity(entity, OPERATION, message.command.model_dump(mode="json"))
    outcome = Outcome.model_validate(answer)
    projection = ProjectAsset(outcome=outcome, request=message.request)
    yield context.call_activity_with_retry(
        PROJECT_ASSET, _RETRY, projection.model_dump(mode="json")
    )
    start = job_to_start(outcome, message.job)
    if start is not None:
        yield context.call_activity_with_retry(
            START_ASSET_JOB, _RETRY, start.model_dump(mode="json")
        )
    yield from _outbound(context, outcome)
    return outcome.model_dump(mode="json")


def _outbound(
    context: df.DurableOrchestrationContext, outcome: Outcome
) -> Generator[Any, Any, None]:
    """The hook of B2B outbound (domain.outbound): callback events, publish or unpublish, in
    the order the outcome says (it is in the history, so a replay keeps the order it began
    with: see "Changing an orchestration" in the README)."""
    outbound = outbound_for(outcome)
    if outbound.events and outbound.events_first:
        yield from _emit(context, outbound)
    if outbound.publication is not None:
        try:
            yield context.call_activity_with_retry(
                START_PUBLICATION, _RETRY, outbound.publication.model_dump(mode="json")
            )
        except Exception as exc:
            yield from _not_started(context, outbound.publication, exc)
    if outbound.events and not outbound.events_first:
        yield from _emit(context, outbound)


def _not_started(
    context: df.DurableOrchestrationContext, publication: PublicationJob, exc: Exception
) -> Generator[Any, Any, None]:
    """A publication job that could not be started is reported to the asset as failed, as
    its own end would be (same command and instance ids), so the asset does not wait for it
    forever and the platform hears ``asset.publication_failed``."""
    error = {
        "kind": "not_started",
        "message": f"the {publication.workflow_id} job could not be started: {exc}",
    }
    now = context.current_utc_datetime
    report = job_finished_report(
        publication.asset_id, publication.job_id, now, "failed", None, error
    )
    instance_id = report_instance_id(publication.job_id, report.command.kind)
    yield context.call_sub_orchestrator(ASSET_COMMAND, report.model_dump(mode="json"), instance_id)


def _emit(context: df.DurableOrchestrationContext, outbound: Outbound) -> Generator[Any, Any, None]:
    emit = EmitCallbacks(events=outbound.events)
    yield context.call_activity_with_retry(EMIT_CALLBACKS, _RETRY, emit.model_dump(mode="json"))
