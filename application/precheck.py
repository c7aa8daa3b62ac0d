"""Fail fast: inputs a later node would refuse are refused at submit, before any work
(`check_before_work`: handler params, and fan-outs wider than the cap).

A task param that is exactly ``{{ inputs.NAME }}`` reaches its handler unchanged, so the
handler's own params model can check the input's value now: an invalid STAC collection id is
a 400 naming ``inputs.collection`` instead of a failure at the `stac` node after the COG
conversion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from domain.fan_out import input_feeding, known_widths, too_wide
from domain.inputs import InputError
from domain.models import FanOutNode, TaskDefinition, TaskNode, WorkflowDefinition
from handlers.base import HandlerRegistry, NonRetryableError

_LONE_INPUT = re.compile(r"^\s*\{\{\s*inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$")


def _tasks(definition: WorkflowDefinition) -> Iterator[tuple[str, TaskDefinition]]:
    for node in definition.nodes:
        if isinstance(node, TaskNode):
            yield node.id, node
        elif isinstance(node, FanOutNode):
            yield node.id, node.task


def refused_inputs(
    definition: WorkflowDefinition, inputs: dict[str, Any], registry: HandlerRegistry
) -> dict[str, str]:
    """By input name: why a handler fed that input as one of its params would refuse it."""
    problems: dict[str, str] = {}
    for node_id, task in _tasks(definition):
        try:
            fields = registry.spec(task.handler).params_model.model_fields
        except NonRetryableError:
            continue  # an unknown handler is the validator's to report
        for key, value in task.params.items():
            found = _LONE_INPUT.match(value) if isinstance(value, str) else None
            if found is None or key not in fields or inputs.get(found.group(1)) is None:
                continue
            name, field = found.group(1), fields[key]
            try:
                adapter: TypeAdapter[Any] = TypeAdapter(Annotated[field.annotation, field])  # type: ignore[arg-type]
                adapter.validate_python(inputs[name])
            except ValidationError as exc:
                reason = exc.errors(include_url=False)[0]["msg"]
                problems.setdefault(name, f"node '{node_id}' would refuse it as '{key}': {reason}")
    return problems


def check_before_work(
    definition: WorkflowDefinition, inputs: dict[str, Any], registry: HandlerRegistry, cap: int
) -> None:
    """`InputError` naming each input a handler would refuse (`refused_inputs`) or
    that makes a fan-out wider than the cap, when the width is known from the inputs alone
    (the evaluator checks the others when they run)."""
    problems = refused_inputs(definition, inputs, registry)
    for node_id, width in known_widths(definition, inputs).items():
        if width > cap:
            node = definition.node(node_id)
            assert isinstance(node, FanOutNode)
            problems[input_feeding(node) or node_id] = too_wide(node_id, width, cap)
    if problems:
        raise InputError(problems)
