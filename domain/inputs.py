"""Job inputs checked against a workflow's declared inputs, before anything starts."""

from __future__ import annotations

from typing import Any

from domain.models import WorkflowDefinition, value_has_type


class InputError(ValueError):
    """Every bad input of a submission, each naming its field."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"inputs.{k}: {v}" for k, v in problems.items()))


def resolve_inputs(definition: WorkflowDefinition, given: dict[str, Any]) -> dict[str, Any]:
    """The inputs the job runs with (defaults filled in); raise `InputError` listing each
    missing, unknown, mistyped or out-of-enum field."""
    problems: dict[str, str] = {}
    resolved: dict[str, Any] = {}
    for name in given:
        if name not in definition.inputs:
            declared = ", ".join(sorted(definition.inputs)) or "none"
            problems[name] = f"unknown input (declared: {declared})"
    for name, spec in definition.inputs.items():
        if name not in given or given[name] is None:
            if spec.required:
                problems[name] = f"required {spec.type.value} input is missing"
            elif spec.default is not None:
                resolved[name] = spec.default
            else:
                resolved[name] = None
            continue
        value = given[name]
        if not value_has_type(value, spec.type):
            problems[name] = f"expected {spec.type.value}, got {_json_type(value)} {_shown(value)}"
        elif spec.enum is not None and value not in spec.enum:
            problems[name] = f"{_shown(value)} is not one of {spec.enum}"
        else:
            resolved[name] = value
    if problems:
        raise InputError(problems)
    return resolved


SHOWN_CHARS = 80


def _shown(value: Any) -> str:
    """``repr(value)``, cut to `SHOWN_CHARS` with the full length said: error messages end
    up in responses, timelines and logs."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"


def _json_type(value: Any) -> str:
    match value:
        case bool():
            return "boolean"
        case int():
            return "integer"
        case float():
            return "number"
        case str():
            return "string"
        case list():
            return "array"
        case dict():
            return "object"
        case _:
            return type(value).__name__


def parse_cli_value(text: str) -> Any:
    """`k=v` values on the command line: JSON when it parses (numbers, lists, true), else text."""
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text
