import pytest

from domain.inputs import InputError, resolve_inputs
from tests.domain.support import workflow

WF = workflow(
    "- id: start\n  type: start\n- id: end\n  type: end\n  depends_on: [start]\n",
    inputs="""\
    path: {type: string, required: true}
    count: {type: integer, default: 3}
    ratio: {type: number}
    mode: {type: string, enum: [fast, best], default: fast}
    tags: {type: array}
    """,
)


def test_defaults_fill_missing_optional_inputs():
    assert resolve_inputs(WF, {"path": "a.tif"}) == {
        "path": "a.tif",
        "count": 3,
        "ratio": None,
        "mode": "fast",
        "tags": None,
    }


def test_every_bad_field_is_named_at_once():
    with pytest.raises(InputError) as info:
        resolve_inputs(WF, {"count": "three", "mode": "slow", "extra": 1, "ratio": True})
    assert info.value.problems == {
        "extra": "unknown input (declared: count, mode, path, ratio, tags)",
        "path": "required string input is missing",
        "count": "expected integer, got string 'three'",
        "ratio": "expected number, got boolean True",
        "mode": "'slow' is not one of ['fast', 'best']",
    }


def test_an_integer_is_a_number_but_a_bool_is_not_an_integer():
    assert resolve_inputs(WF, {"path": "p", "ratio": 2})["ratio"] == 2
    with pytest.raises(InputError, match=r"inputs\.count: expected integer, got boolean"):
        resolve_inputs(WF, {"path": "p", "count": True})


def test_a_long_bad_value_is_cut_short_in_the_message():
    with pytest.raises(InputError) as info:
        resolve_inputs(WF, {"path": "a.tif", "count": "x" * 10_000})
    message = info.value.problems["count"]
    assert len(message) < 150 and message.endswith("(10002 characters)")
