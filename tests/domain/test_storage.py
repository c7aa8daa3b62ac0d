"""Storage inputs on submit: each container must be allowed for its declared purpose."""

from __future__ import annotations

import pytest

from domain.inputs import InputError, resolve_inputs
from domain.loader import load_workflow_text
from domain.storage import ContainerPolicy, check_storage_inputs

WORKFLOW = load_workflow_text(
    """\
workflow_id: copy
version: 1
inputs:
  source: {type: string, required: true, storage: input}
  target: {type: string, default: cogs, storage: output}
  scratch: {type: string}
  extra: {type: string, storage: input}
nodes:
  - {id: start, type: start}
  - {id: end, type: end, depends_on: [start]}
"""
)
POLICY = ContainerPolicy(frozenset({"raw"}), frozenset({"cogs"}))


def _check(given: dict[str, str], policy: ContainerPolicy = POLICY) -> None:
    check_storage_inputs(WORKFLOW, resolve_inputs(WORKFLOW, given), policy)


def test_allowed_containers_pass_and_other_strings_are_not_storage() -> None:
    _check({"source": "raw", "scratch": "dagmaster-outputs"})


def test_each_container_is_checked_against_its_own_purpose() -> None:
    with pytest.raises(InputError) as info:
        _check({"source": "cogs", "target": "raw"})
    assert info.value.problems == {
        "source": "container 'cogs' is not an allowed input container (allowed: raw)",
        "target": "container 'raw' is not an allowed output container (allowed: cogs)",
    }


def test_a_default_container_is_checked_too() -> None:
    with pytest.raises(InputError) as info:
        _check({"source": "raw"}, ContainerPolicy(frozenset({"raw"}), frozenset()))
    assert info.value.problems == {
        "target": "container 'cogs' is not an allowed output container (allowed: none configured)"
    }


def test_reads_are_allowed_from_either_kind_and_writes_only_to_outputs() -> None:
    assert POLICY.may_read("raw") and POLICY.may_read("cogs")
    assert POLICY.may_write("cogs") and not POLICY.may_write("raw")
