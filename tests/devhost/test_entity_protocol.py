"""The entity batch answer devhost accepts from the SDK (what the extension's
`OutOfProcResult` reading accepts); anything else is a batch failure, retried."""

from __future__ import annotations

import json

import pytest

from devhost.engine.entities import BatchFailed, parse_batch_result, retry_delay


def _answer(results: int = 1, **overrides: object) -> str:
    body = {
        "entityExists": True,
        "entityState": "5",
        "results": [{"isError": False, "result": "5"}] * results,
        "signals": [],
        **overrides,
    }
    return json.dumps(body)


def test_well_formed_answer_is_accepted() -> None:
    assert parse_batch_result(_answer(2), 2)["entityState"] == "5"


def test_answer_that_is_not_json_is_a_batch_failure() -> None:
    with pytest.raises(BatchFailed, match="no valid JSON"):
        parse_batch_result("{not json", 1)


def test_answer_with_fewer_results_than_operations_is_a_batch_failure() -> None:
    with pytest.raises(BatchFailed, match="1 results for 3 operations"):
        parse_batch_result(_answer(1), 3)


def test_answer_without_entity_exists_flag_is_a_batch_failure() -> None:
    with pytest.raises(BatchFailed, match="entityExists"):
        parse_batch_result(_answer(1, entityExists="yes"), 1)


def test_answer_with_non_string_state_is_a_batch_failure() -> None:
    with pytest.raises(BatchFailed, match="entityState"):
        parse_batch_result(_answer(1, entityState={"n": 5}), 1)


def test_failed_batch_is_retried_with_growing_delays_a_bounded_number_of_times() -> None:
    delays = []
    failures = 1
    while (delay := retry_delay(failures)) is not None:
        delays.append(delay)
        failures += 1
        assert failures < 100, "retries must be bounded"
    assert delays == sorted(delays)
    assert delays[0] <= 0.1 and delays[-1] <= 5.0
