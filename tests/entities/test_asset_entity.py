"""The `asset` entity through the real SDK's entity batch protocol (what the host sends)."""

import json

import azure.durable_functions as df
import azure.functions as func

from entities.asset import bp
from tests.domain.asset_support import approve, finished, started, submit

_app = df.DFApp()
_app.register_functions(bp)
ENTITY = next(
    f for f in _app.get_functions() if f.get_function_name() == "asset"
).get_user_function()


def run_batch(state, operations, exists=None):
    """One batch: [(operation, input)] -> (exists, state, results)."""
    request = {
        "self": {"name": "asset", "key": "k"},
        "exists": state is not None if exists is None else exists,
        "state": None if state is None else json.dumps(state),
        "batch": [
            # the host passes the caller's JSON text as a JSON string (a string in a string)
            {"name": op, "input": json.dumps(json.dumps(payload)), "isSignal": False}
            for op, payload in operations
        ],
    }
    out = json.loads(ENTITY(func.EntityContext(json.dumps(request))))
    results = [{"is_error": r["isError"], "value": json.loads(r["result"])} for r in out["results"]]
    state = out.get("entityState")
    return out["entityExists"], None if state is None else json.loads(state), results


def cmd(command):
    return ("command", command.model_dump(mode="json"))


def test_submission_creates_the_entity_and_answers_the_new_state_without_the_command_memory():
    first = submit()
    exists, state, [result] = run_batch(None, [cmd(first)])

    assert exists and state["revision"] == 1
    assert first.command_id in state["commands"]
    assert result["is_error"] is False
    assert result["value"]["ok"] and result["value"]["result"]["ordinal"] == 1
    assert "commands" not in result["value"]["state"]


def test_every_operation_of_a_batch_gets_its_own_result():
    first = submit()
    ops = [cmd(first), cmd(approve()), cmd(started(first.job_id)), cmd(finished(first.job_id))]
    _, state, results = run_batch(None, ops)

    assert [r["value"]["ok"] for r in results] == [True, False, True, True]
    assert [r["value"]["revision"] for r in results] == [1, 1, 2, 3]
    assert state["revision"] == 3


def test_a_refused_command_leaves_the_asset_as_it_was():
    _, state, _ = run_batch(None, [cmd(submit())])
    _, after, [result] = run_batch(state, [cmd(approve())])

    assert result["value"]["refusal"]["code"] == "conflict"
    assert {k: v for k, v in after.items() if k != "commands"} == {
        k: v for k, v in state.items() if k != "commands"
    }


def test_a_command_for_an_unknown_asset_does_not_create_the_entity():
    exists, state, [result] = run_batch(None, [cmd(approve())])
    assert (exists, state) == (False, None)
    assert result["value"]["refusal"]["code"] == "not_found"


def test_malformed_commands_and_other_operations_are_answered_and_change_nothing():
    _, state, _ = run_batch(None, [cmd(submit())])
    ops = [("command", {"kind": "approve"}), ("delete", None), ("command", {"kind": "nope"})]
    exists, after, results = run_batch(state, ops)

    assert exists and after == state
    assert [r["value"]["refusal"]["code"] for r in results] == ["invalid"] * 3
    assert "unknown operation 'delete'" in results[1]["value"]["refusal"]["message"]
