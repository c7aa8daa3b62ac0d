"""The submit form of a workflow, generated from its typed inputs, and its parsing.

Each input becomes one field named ``inputs.<name>``: a select for an enum or a boolean,
a number box for integers and numbers, a text box for strings, and a JSON text area for
arrays and objects. An empty field is an omitted input (its default applies).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.inputs import InputError, resolve_inputs
from domain.models import InputDefinition, InputType, WorkflowDefinition

PREFIX = "inputs."


@dataclass(frozen=True)
class FormField:
    name: str
    spec: InputDefinition
    value: str
    error: str | None

    @property
    def key(self) -> str:
        return PREFIX + self.name

    @property
    def widget(self) -> str:
        if self.spec.enum is not None:
            return "select"
        return {
            InputType.BOOLEAN: "boolean",
            InputType.INTEGER: "integer",
            InputType.NUMBER: "number",
            InputType.ARRAY: "json",
            InputType.OBJECT: "json",
        }.get(self.spec.type, "text")

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(value as sent, label) for a select."""
        if self.spec.enum is not None:
            return [(_text(v), _text(v)) for v in self.spec.enum]
        return [("true", "true"), ("false", "false")]

    @property
    def placeholder(self) -> str:
        if self.spec.default is not None:
            return f"default: {_text(self.spec.default)}"
        return {"json": "JSON, e.g. [1, 2, 3]"}.get(self.widget, "")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def form_fields(
    definition: WorkflowDefinition,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FormField]:
    values, errors = values or {}, errors or {}
    return [
        FormField(name, spec, values.get(PREFIX + name, ""), errors.get(name))
        for name, spec in definition.inputs.items()
    ]


def _parse(spec: InputDefinition, raw: str) -> Any:
    if spec.enum is not None and spec.type is not InputType.STRING:
        return json.loads(raw)
    match spec.type:
        case InputType.STRING:
            return raw
        case InputType.INTEGER:
            return int(raw)
        case InputType.NUMBER:
            number = float(raw)
            return int(number) if number.is_integer() and "." not in raw else number
        case InputType.BOOLEAN:
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        case _:
            return json.loads(raw)


_EXPECTED = {
    InputType.INTEGER: "an integer",
    InputType.NUMBER: "a number",
    InputType.BOOLEAN: "true or false",
    InputType.ARRAY: "a JSON array",
    InputType.OBJECT: "a JSON object",
}


def parse_form(definition: WorkflowDefinition, form: Mapping[str, str]) -> dict[str, Any]:
    """The inputs the form gives, checked like an API submission; `InputError` names every
    field that does not parse or does not fit its declared type."""
    given: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, spec in definition.inputs.items():
        raw = form.get(PREFIX + name, "")
        if raw.strip() == "":
            continue
        try:
            given[name] = _parse(spec, raw.strip() if spec.type is not InputType.STRING else raw)
        except ValueError:
            problems[name] = f"expected {_EXPECTED.get(spec.type, spec.type.value)}, got {raw!r}"
    try:
        resolve_inputs(definition, given)
    except InputError as exc:
        problems.update({k: v for k, v in exc.problems.items() if k not in problems})
    if problems:
        raise InputError(problems)
    return given
