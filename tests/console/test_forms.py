import pytest

from application.workflows import find
from console.forms import form_fields, parse_form
from domain.inputs import InputError
from domain.models import WorkflowDefinition

TYPED = WorkflowDefinition.model_validate(
    {
        "workflow_id": "typed",
        "version": 1,
        "inputs": {
            "name": {"type": "string", "required": True},
            "count": {"type": "integer", "default": 2},
            "ratio": {"type": "number"},
            "dry_run": {"type": "boolean"},
            "level": {"type": "integer", "enum": [1, 2, 3]},
            "bands": {"type": "array"},
        },
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "end", "type": "end", "depends_on": ["start"]},
        ],
    }
)


def test_each_field_parses_to_its_declared_type_and_empty_fields_are_omitted():
    form = {
        "inputs.name": " spaced ",
        "inputs.count": "",
        "inputs.ratio": "0.5",
        "inputs.dry_run": "false",
        "inputs.level": "3",
        "inputs.bands": "[1, 2]",
    }
    assert parse_form(TYPED, form) == {
        "name": " spaced ",
        "ratio": 0.5,
        "dry_run": False,
        "level": 3,
        "bands": [1, 2],
    }


def test_every_bad_field_is_named_with_what_was_expected():
    form = {"inputs.count": "two", "inputs.bands": "{}", "inputs.level": "7", "inputs.ratio": "x"}
    with pytest.raises(InputError) as caught:
        parse_form(TYPED, form)
    assert caught.value.problems == {
        "count": "expected an integer, got 'two'",
        "ratio": "expected a number, got 'x'",
        "bands": "expected array, got object {}",
        "level": "7 is not one of [1, 2, 3]",
        "name": "required string input is missing",
    }


def test_fields_pick_a_widget_per_type_and_keep_the_submitted_values():
    fields = {f.name: f for f in form_fields(TYPED, {"inputs.bands": "[oops"}, {"bands": "bad"})}
    assert {n: f.widget for n, f in fields.items()} == {
        "name": "text",
        "count": "integer",
        "ratio": "number",
        "dry_run": "boolean",
        "level": "select",
        "bands": "json",
    }
    assert (fields["bands"].value, fields["bands"].error) == ("[oops", "bad")
    assert fields["level"].choices == [("1", "1"), ("2", "2"), ("3", "3")]
    assert fields["count"].placeholder == "default: 2"


def test_a_shipped_workflow_form_accepts_what_its_api_accepts():
    assert parse_form(find("fan_out_test"), {"inputs.numbers": "[1, 2]"}) == {"numbers": [1, 2]}
