"""The durable entity `asset` (key: the asset id): the truth for one asset.

Its one operation, ``command``, takes a command (`domain.assets.Command`, plain JSON) and
answers the `domain.assets.Outcome` (the state in it without the remembered command ids).
Python entities have no rollback (azure-functions-durable-python #274): everything is
decided before `set_state`, which is called at most once, last but for `set_result`; an
operation always sets its result (otherwise the batch's previous result is returned), and an
operation that leaves a not-yet-existing asset uncreated says so with `destruct_on_exit`
(`set_result` alone would create it).
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from pydantic import ValidationError

from domain.asset_machine import decide
from domain.assets import COMMAND, AssetState, Outcome, Refusal
from domain.names import ASSET_ENTITY

bp = df.Blueprint()
OPERATION = "command"


def _invalid(message: str) -> dict[str, Any]:
    refusal = Refusal(code="invalid", message=message)
    return Outcome(command_id="", kind="", ok=False, revision=0, refusal=refusal).model_dump(
        mode="json"
    )


def run_operation(
    operation: str, payload: Any, stored: Any
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the state to store or None to keep it, the result) for one operation. Never raises."""
    if operation != OPERATION:
        return None, _invalid(
            f"unknown operation {operation!r}: the asset entity has only {OPERATION!r}"
        )
    try:
        command = COMMAND.validate_python(payload)
    except ValidationError as exc:
        return None, _invalid(f"invalid command: {exc}")
    try:
        state = None if stored is None else AssetState.model_validate(stored)
    except ValidationError as exc:
        return None, _invalid(f"stored state does not parse (left unchanged): {exc}")
    outcome = decide(state, command)
    new_state = outcome.state.model_dump(mode="json") if outcome.state is not None else None
    keep = new_state is not None and new_state != stored
    result = outcome.model_dump(mode="json", exclude={"state": {"commands"}})
    return (new_state if keep else None), result


@bp.entity_trigger(context_name="context", entity_name=ASSET_ENTITY)
def asset(context: df.DurableEntityContext) -> None:
    stored = context.get_state()
    try:
        new_state, result = run_operation(context.operation_name, context.get_input(), stored)
    except Exception as exc:  # a bug: answer it, keep the state
        new_state, result = None, _invalid(f"internal error: {type(exc).__name__}: {exc}")
    if new_state is not None:
        context.set_state(new_state)
    context.set_result(result)
    if stored is None and new_state is None:
        context.destruct_on_exit()
