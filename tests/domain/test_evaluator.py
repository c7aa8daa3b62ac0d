"""The DAG evaluator, rule by rule."""

from domain.decisions import (
    ApprovalReceived,
    CancelRequested,
    JobTimedOut,
    NodeCompleted,
    NodeStarted,
    RetryDue,
)
from domain.events import EventKind
from tests.domain.support import Run, workflow

START = "- id: start\n  type: start\n"


def task(node_id: str, deps: str, extra: str = "") -> str:
    return f"- id: {node_id}\n  type: task\n  handler: echo\n  depends_on: {deps}\n{extra}"


def end(deps: str) -> str:
    return f"- id: end\n  type: end\n  depends_on: {deps}\n"


def test_chain_runs_one_node_after_another():
    run = Run(workflow(START + task("a", "[start]") + task("b", "[a]") + end("[b]")))
    assert run.dispatched() == ["a"]
    run.complete("a", {"x": 1})
    assert run.dispatched() == ["b"]
    step = run.complete("b", {"y": 2})
    assert step.finished is not None and step.finished.status == "completed"
    assert step.finished.output == {"b": {"y": 2}}


def test_diamond_joins_after_both_branches():
    wf = workflow(
        START + task("a", "[start]") + task("b", "[start]") + task("c", "[a, b]") + end("[c]")
    )
    run = Run(wf)
    assert sorted(run.dispatched()) == ["a", "b"]
    run.complete("a")
    assert run.dispatched() == []
    run.complete("b")
    assert run.dispatched() == ["c"]


def test_node_starts_when_its_own_dependencies_are_done_not_a_whole_wave():
    wf = workflow(
        START
        + task("slow", "[start]")
        + task("fast", "[start]")
        + task("after_fast", "[fast]")
        + end("[slow, after_fast]")
    )
    run = Run(wf)
    run.complete("fast")
    assert run.dispatched() == ["after_fast"]
    assert run.status("slow") == "dispatched"


def test_params_are_rendered_from_inputs_and_upstream_outputs():
    wf = workflow(
        START
        + task("a", "[start]", "  params: {n: '{{ inputs.n }}'}\n")
        + task("b", "[a]", "  params: {double: '{{ nodes.a.output.n * 2 }}', j: '{{ job.id }}'}\n")
        + end("[b]"),
        inputs="n: {type: integer, required: true}\n",
    )
    run = Run(wf, {"n": 21})
    assert run.last.dispatch[0].params == {"n": 21}
    run.complete("a", {"n": 21})
    assert run.last.dispatch[0].params == {"double": 42, "j": "job-1"}


CONDITIONAL = (
    START
    + task("measure", "[start]")
    + """\
- id: route
  type: conditional
  depends_on: [measure]
  branches:
    - when: "{{ nodes.measure.output.size > 10 }}"
      next: big
    - default: true
      next: small
"""
    + task("big", "[route]")
    + task("small", "[route]")
    + task("after_big", "[big]")
)


def test_conditional_takes_the_first_true_branch_and_skips_the_rest():
    run = Run(workflow(CONDITIONAL + task("join", "{any_of: [after_big, small]}") + end("[join]")))
    step = run.complete("measure", {"size": 50})
    assert step.choices == {"route": "big"}
    assert run.dispatched() == ["big"]
    assert run.status("small") == "skipped"
    assert step.skipped["small"] == "branch not taken by conditional 'route'"


def test_conditional_default_branch_when_nothing_matches():
    run = Run(workflow(CONDITIONAL + task("join", "{any_of: [after_big, small]}") + end("[join]")))
    step = run.complete("measure", {"size": 1})
    assert step.choices == {"route": "small"}
    assert run.dispatched() == ["small"]


def test_skips_propagate_downstream():
    run = Run(workflow(CONDITIONAL + task("join", "{any_of: [after_big, small]}") + end("[join]")))
    step = run.complete("measure", {"size": 1})
    assert run.status("big") == "skipped"
    assert run.status("after_big") == "skipped"
    assert step.skipped["after_big"] == "dependency 'big' skipped"


def test_all_of_join_after_a_skipped_branch_is_skipped():
    wf = workflow(CONDITIONAL + task("both", "[after_big, small]") + end("{any_of: [both, small]}"))
    run = Run(wf)
    run.complete("measure", {"size": 1})
    run.complete("small")
    assert run.status("both") == "skipped"
    assert run.state.status == "completed"


def test_any_of_join_runs_once_every_dependency_is_final_and_one_completed():
    run = Run(workflow(CONDITIONAL + task("join", "{any_of: [after_big, small]}") + end("[join]")))
    run.complete("measure", {"size": 1})
    assert run.dispatched() == ["small"]
    run.complete("small")
    assert run.dispatched() == ["join"]


def test_any_of_join_waits_for_all_dependencies_to_be_final():
    wf = workflow(
        START
        + task("a", "[start]")
        + task("b", "[start]")
        + task("j", "{any_of: [a, b]}")
        + end("[j]")
    )
    run = Run(wf)
    run.complete("a")
    assert run.dispatched() == []
    run.complete("b")
    assert run.dispatched() == ["j"]


def test_any_of_join_with_no_completed_dependency_is_skipped():
    wf = workflow(
        START
        + task("a", "[start]")
        + task("b", "[start]")
        + task("j", "{any_of: [a, b]}")
        + end("[j]"),
        extra="on_failure: continue\n",
    )
    run = Run(wf)
    run.fail("a", retryable=False)
    run.fail("b", retryable=False)
    assert run.status("j") == "skipped"
    assert run.state.status == "failed"
    assert run.state.error is not None and run.state.error.kind == "end_not_reached"


def fan_out(over: str, extra: str = "") -> str:
    return f"""\
- id: fan
  type: fan_out
  depends_on: [start]
  over: "{over}"
{extra}  task:
    handler: echo
    params: {{value: "{{{{ item }}}}", index: "{{{{ index }}}}"}}
"""


def fan_in(mode: str, node_id: str = "merge", select: str = "") -> str:
    sel = f"  select: {select}\n" if select else ""
    return f"- id: {node_id}\n  type: fan_in\n  depends_on: [fan]\n  aggregate: {mode}\n{sel}"


def test_fan_out_creates_one_child_per_item():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("collect") + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": ["a", "b", "c"]})
    assert run.dispatched() == ["fan[0]", "fan[1]", "fan[2]"]
    assert [d.params for d in run.last.dispatch] == [
        {"value": "a", "index": 0},
        {"value": "b", "index": 1},
        {"value": "c", "index": 2},
    ]
    assert run.last.fan_outs == {"fan": 3}


def test_fan_out_with_no_items_completes_at_once():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("collect") + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": []})
    assert run.state.status == "completed"
    assert run.state.output == {"merge": []}


def test_fan_out_with_one_item():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("first") + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": [7]})
    run.complete("fan[0]", 49)
    assert run.state.output == {"merge": 49}


def test_fan_in_aggregates_in_index_order_whatever_the_completion_order():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("collect") + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": [1, 2, 3]})
    run.complete("fan[2]", "c")
    run.complete("fan[0]", "a")
    run.complete("fan[1]", "b")
    assert run.state.output == {"merge": ["a", "b", "c"]}


def run_fan_in(mode: str, outputs: list, select: str = ""):
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in(mode, select=select) + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": list(range(len(outputs)))})
    for i, out in enumerate(outputs):
        run.complete(f"fan[{i}]", out)
    return run


def test_fan_in_collect():
    assert run_fan_in("collect", [1, 2]).state.output == {"merge": [1, 2]}


def test_fan_in_concat():
    assert run_fan_in("concat", [[1], [2, 3], []]).state.output == {"merge": [1, 2, 3]}


def test_fan_in_sum():
    assert run_fan_in("sum", [1, 2.5, 3]).state.output == {"merge": 6.5}


def test_fan_in_first_and_last():
    assert run_fan_in("first", ["a", "b"]).state.output == {"merge": "a"}
    assert run_fan_in("last", ["a", "b"]).state.output == {"merge": "b"}


def test_fan_in_select_picks_a_field_of_each_output():
    outputs = [{"v": {"n": 1}}, {"v": {"n": 2}}]
    assert run_fan_in("sum", outputs, select="v.n").state.output == {"merge": 3}


def test_fan_in_sum_of_non_numbers_fails_the_node_with_a_clear_error():
    run = run_fan_in("sum", [1, "two"])
    assert run.status("merge") == "failed"
    assert run.state.nodes["merge"].error.message == "sum needs numbers; child 1 gave 'two'"


def test_max_parallel_caps_children_in_flight():
    wf = workflow(
        START
        + fan_out("{{ inputs.xs }}", "  max_parallel: 2\n")
        + fan_in("collect")
        + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": [0, 1, 2, 3, 4]})
    assert run.dispatched() == ["fan[0]", "fan[1]"]
    run.complete("fan[1]")
    assert run.dispatched() == ["fan[2]"]
    run.complete("fan[0]")
    assert run.dispatched() == ["fan[3]"]
    run.complete("fan[2]")
    run.complete("fan[3]")
    run.complete("fan[4]")
    assert run.state.status == "completed"


def test_fan_out_over_a_non_list_fails_the_node():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("collect") + end("[merge]"),
        inputs="xs: {type: object}\n",
    )
    run = Run(wf, {"xs": {"a": 1}})
    assert run.status("fan") == "failed"
    assert "must be a list, got dict" in run.state.nodes["fan"].error.message


def test_fan_out_over_an_offloaded_list_gives_each_child_a_reference_to_its_item():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("collect") + end("[merge]"),
        inputs="xs: {type: object}\n",
    )
    ref = {"$ref": "outputs/plan.json", "size": 40_000, "length": 2, "path": ["tiles"]}
    run = Run(wf, {"xs": ref})
    assert [d.params for d in run.last.dispatch] == [
        {"value": {"$ref": "outputs/plan.json", "path": ["tiles", 0]}, "index": 0},
        {"value": {"$ref": "outputs/plan.json", "path": ["tiles", 1]}, "index": 1},
    ]


def test_failure_with_no_retries_fails_the_job_and_skips_downstream():
    wf = workflow(
        START + task("a", "[start]") + task("b", "[start]") + task("c", "[a]") + end("[b, c]")
    )
    run = Run(wf)
    step = run.fail("a", kind="boom")
    assert run.status("a") == "failed"
    assert run.status("c") == "skipped"
    assert run.status("b") == "cancelled"  # in flight when the job failed
    assert step.abandon == ["b"]
    assert step.finished.status == "failed"
    assert step.finished.error.message == "node 'a' failed: a failed"


def test_on_failure_continue_keeps_independent_branches_running():
    wf = workflow(
        START
        + task("a", "[start]")
        + task("b", "[start]")
        + task("c", "[a]")
        + end("{any_of: [b, c]}"),
        extra="on_failure: continue\n",
    )
    run = Run(wf)
    run.fail("a", retryable=False)
    assert run.status("c") == "skipped"
    assert run.status("b") == "dispatched"
    run.complete("b", "ok")
    assert run.state.status == "completed"


RETRY = "  retry: {max_attempts: 3, initial_interval: 2s, backoff_coefficient: 3, max_interval: 5s, non_retryable: [bad_input]}\n"  # noqa: E501


def test_retryable_failure_schedules_a_retry_with_back_off():
    run = Run(workflow(START + task("a", "[start]", RETRY) + end("[a]")))
    step = run.fail("a")
    assert run.status("a") == "retrying"
    assert [(r.attempt, r.delay_seconds) for r in step.retries] == [(2, 2.0)]
    step = run.feed(RetryDue(node_id="a", attempt=2))
    assert [(d.node_id, d.attempt) for d in step.dispatch] == [("a", 2)]
    step = run.fail("a")
    assert [(r.attempt, r.delay_seconds) for r in step.retries] == [(3, 5.0)]  # 6s capped at 5s


def test_retries_exhausted_fail_the_node():
    run = Run(workflow(START + task("a", "[start]", RETRY) + end("[a]")))
    for attempt in (2, 3):
        run.fail("a")
        run.feed(RetryDue(node_id="a", attempt=attempt))
    run.fail("a")
    assert run.status("a") == "failed"
    assert run.state.nodes["a"].attempt == 3


def test_non_retryable_kind_is_not_retried():
    run = Run(workflow(START + task("a", "[start]", RETRY) + end("[a]")))
    step = run.fail("a", kind="bad_input")
    assert step.retries == []
    assert run.status("a") == "failed"


def test_error_marked_non_retryable_is_not_retried():
    run = Run(workflow(START + task("a", "[start]", RETRY) + end("[a]")))
    run.fail("a", retryable=False)
    assert run.status("a") == "failed"


def test_timed_out_attempt_is_retried_then_ends_timed_out():
    run = Run(
        workflow(
            START + task("a", "[start]", "  retry: {max_attempts: 2}\n  timeout: 5s\n") + end("[a]")
        )
    )
    assert run.last.dispatch[0].timeout_seconds == 5.0
    run.fail("a", kind="timeout", timed_out=True)
    run.feed(RetryDue(node_id="a", attempt=2))
    run.fail("a", kind="timeout", timed_out=True)
    assert run.status("a") == "timed_out"
    assert run.state.status == "failed"


def test_result_of_an_old_attempt_is_ignored():
    run = Run(workflow(START + task("a", "[start]", RETRY) + end("[a]")))
    run.fail("a")
    run.feed(RetryDue(node_id="a", attempt=2))
    step = run.feed(NodeCompleted(node_id="a", attempt=1, output="late"))
    assert step.events == []
    assert run.status("a") == "dispatched"


def test_cancel_marks_in_flight_nodes_cancelled_and_ends_the_job():
    run = Run(workflow(START + task("a", "[start]") + task("b", "[a]") + end("[b]")))
    step = run.feed(CancelRequested(by="ops", reason="wrong file"))
    assert run.status("a") == "cancelled"
    assert run.status("b") == "cancelled"
    assert step.abandon == ["a"]
    assert step.finished.status == "cancelled"
    assert step.events[-1].kind == EventKind.JOB_CANCELLED
    assert step.events[-1].data == {"reason": "wrong file", "by": "ops"}


def test_job_timeout_fails_the_job():
    run = Run(workflow(START + task("a", "[start]") + end("[a]")))
    step = run.feed(JobTimedOut())
    assert step.finished.status == "failed"
    assert step.finished.error.kind == "job_timeout"


APPROVAL = (
    START
    + """\
- id: approve
  type: approval
  depends_on: [start]
  event: publish_ok
  timeout: 1h
"""
    + end("[approve]")
)


def test_approval_waits_for_its_event():
    run = Run(workflow(APPROVAL))
    (dispatch,) = run.last.dispatch
    assert (dispatch.kind, dispatch.event_name, dispatch.timeout_seconds) == (
        "approval",
        "publish_ok",
        3600.0,
    )
    assert run.status("approve") == "waiting"


def test_approval_granted_completes_with_who_and_why():
    run = Run(workflow(APPROVAL))
    run.feed(ApprovalReceived(node_id="approve", approved=True, by="ana", reason="looks good"))
    assert run.state.output == {"approve": {"approved": True, "by": "ana", "reason": "looks good"}}


def test_approval_rejected_fails_the_node():
    run = Run(workflow(APPROVAL))
    run.feed(ApprovalReceived(node_id="approve", approved=False, by="ana", reason="blurry"))
    assert run.status("approve") == "failed"
    assert run.state.nodes["approve"].error.message == "rejected by ana: blurry"


def test_approval_timeout_ends_timed_out():
    run = Run(workflow(APPROVAL))
    run.fail("approve", kind="timeout", timed_out=True)
    assert run.status("approve") == "timed_out"


def test_sub_workflow_is_dispatched_with_rendered_inputs():
    wf = workflow(
        START
        + """\
- id: child
  type: sub_workflow
  depends_on: [start]
  workflow_id: other
  version: 2
  inputs: {n: "{{ inputs.n }}"}
"""
        + end("[child]"),
        inputs="n: {type: integer}\n",
    )
    run = Run(wf, {"n": 3})
    (dispatch,) = run.last.dispatch
    assert (dispatch.kind, dispatch.workflow_id, dispatch.workflow_version, dispatch.inputs) == (
        "sub_workflow",
        "other",
        2,
        {"n": 3},
    )


def test_render_error_fails_the_node_naming_the_param():
    wf = workflow(
        START
        + task("a", "[start]")
        + task("b", "[a]", "  params: {x: '{{ nodes.a.output.missing }}'}\n")
        + end("[b]")
    )
    run = Run(wf)
    run.complete("a", {})
    assert run.status("b") == "failed"
    error = run.state.nodes["b"].error
    assert error.kind == "template_error"
    assert "node 'b'" in error.message and "params.x" in error.message


def test_end_result_template_is_the_job_output():
    wf = workflow(
        START
        + task("a", "[start]")
        + "- id: end\n  type: end\n  depends_on: [a]\n  result: '{{ nodes.a.output.v }}'\n"
    )
    run = Run(wf)
    run.complete("a", {"v": [1, 2]})
    assert run.state.output == [1, 2]


def test_every_transition_is_an_event_with_increasing_seq():
    run = Run(workflow(START + task("a", "[start]") + end("[a]")))
    run.complete("a", 1)
    events = [e for s in run.steps for e in s.events]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [(e.kind.value, e.node_id) for e in events] == [
        ("job.started", None),
        ("node.ready", "start"),
        ("node.completed", "start"),
        ("node.ready", "a"),
        ("node.dispatched", "a"),
        ("node.completed", "a"),
        ("node.ready", "end"),
        ("node.completed", "end"),
        ("job.completed", None),
    ]


def test_progress_counts_nodes_by_status():
    run = Run(workflow(START + task("a", "[start]") + task("b", "[start]") + end("[a, b]")))
    run.complete("a")
    progress = run.state.progress()
    assert progress["counts"] == {"completed": 2, "dispatched": 1, "pending": 1}
    assert progress["running"] == ["b"]
    assert progress["percent"] == 50.0


def test_a_fan_out_wider_than_the_cap_fails_before_any_child_exists():
    wf = workflow(
        START
        + fan_out("{{ nodes.plan.output }}").replace("[start]", "[plan]")
        + task("plan", "[start]")
        + fan_in("collect")
        + end("[merge]"),
    )
    run = Run(wf, max_fan_out=3)
    run.complete("plan", [1, 2, 3, 4])
    assert run.status("fan") == "failed"
    assert run.dispatched() == [] and "fan[0]" not in run.state.nodes
    assert run.state.status == "failed"
    assert run.state.error is not None and run.state.error.kind == "fan_out_too_wide"
    assert "would have 4 children; at most 3" in run.state.error.message


def test_a_fan_out_as_wide_as_the_cap_runs():
    wf = workflow(
        START + fan_out("{{ inputs.xs }}") + fan_in("collect") + end("[merge]"),
        inputs="xs: {type: array}\n",
    )
    run = Run(wf, {"xs": [1, 2, 3]}, max_fan_out=3)
    assert run.dispatched() == ["fan[0]", "fan[1]", "fan[2]"]


def test_a_started_heavy_task_is_running_once_and_then_completes():
    run = Run(workflow(START + task("tile", "[start]", "  queue: heavy\n") + end("[tile]")))
    started = NodeStarted(node_id="tile", attempt=1, delivery=1)

    first = run.feed(started)
    again = run.feed(started.model_copy(update={"delivery": 2}))  # a redelivery
    run.complete("tile")

    assert [(e.kind, e.data) for e in first.events] == [(EventKind.NODE_RUNNING, {"delivery": 1})]
    assert again.events == []
    assert run.status("tile") == "completed"


def test_a_start_reported_for_an_earlier_attempt_is_ignored():
    retried = "  queue: heavy\n  retry: {max_attempts: 2, initial_interval: 1s}\n"
    run = Run(workflow(START + task("tile", "[start]", retried) + end("[tile]")))
    run.fail("tile")
    run.feed(RetryDue(node_id="tile", attempt=2))

    step = run.feed(NodeStarted(node_id="tile", attempt=1))

    assert step.events == []
    assert run.status("tile") == "dispatched"
