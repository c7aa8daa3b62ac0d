"""Wide fan-outs run in batches: the evaluator hands out children in bounded batches with
reserved event numbers, and `BatchRunner` runs one batch."""

import itertools

from domain.batch import BatchRunner
from domain.decisions import BatchFinished, NodeCompleted, NodeFailed, RetryDue
from domain.errors import ErrorInfo
from domain.evaluator import Evaluator
from domain.state import JobInfo
from tests.domain.support import NOW, workflow

FAN = """\
- {id: start, type: start}
- id: fan
  type: fan_out
  depends_on: [start]
  over: "{{ inputs.xs }}"
  max_parallel: 4
  task:
    handler: echo
    retry: {max_attempts: 2, initial_interval: 1s}
    params: {n: "{{ item }}"}
- {id: total, type: fan_in, depends_on: [fan], aggregate: sum, select: n}
- {id: end, type: end, depends_on: [total]}
"""


def start(n: int, threshold: int = 5, size: int = 4):
    evaluator = Evaluator(
        workflow(FAN, inputs="xs: {type: array}\n"), batch_threshold=threshold, batch_size=size
    )
    state, step = evaluator.start(
        JobInfo(id="j", workflow_id="t", version=1), {"xs": list(range(n))}, NOW
    )
    return evaluator, state, step


def test_a_fan_out_at_the_threshold_is_not_batched():
    _, _, step = start(5)
    assert [d.kind for d in step.dispatch] == ["task"] * 4  # max_parallel


def test_a_wider_fan_out_is_handed_out_in_bounded_batches():
    _, _, step = start(10)
    assert [(d.kind, d.node_id) for d in step.dispatch] == [
        ("batch", "fan@0"),
        ("batch", "fan@1"),
        ("batch", "fan@2"),
    ]
    batches = [d.batch for d in step.dispatch]
    assert [len(b.children) for b in batches] == [4, 4, 2]
    assert [b.max_parallel for b in batches] == [1, 1, 1]  # max_parallel 4 over 3 batches
    assert [c.params for c in batches[2].children] == [{"n": 8}, {"n": 9}]


def test_batches_get_disjoint_event_number_ranges_after_the_parent_events():
    _, state, step = start(10)
    ranges = [(d.batch.seq_base, d.batch.seq_base + d.batch.seq_span) for d in step.dispatch]
    last_parent_seq = step.events[-1].seq
    assert ranges[0][0] > last_parent_seq
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(ranges))
    assert state.seq >= ranges[-1][1]


def run_batch(batch, fail_first: set[str] = frozenset()):
    runner = BatchRunner(batch)
    step = runner.begin(NOW)
    events = list(step.events)
    pending = list(step.dispatch)
    while step.finished is None:
        d = pending.pop(0)
        if d.node_id in fail_first and d.attempt == 1:
            step = runner.apply(
                NodeFailed(node_id=d.node_id, attempt=1, error=ErrorInfo(kind="x", message="no")),
                NOW,
            )
            pending += [d.model_copy(update={"attempt": r.attempt}) for r in step.retries]
            events += step.events
            step = runner.apply(RetryDue(node_id=d.node_id, attempt=2), NOW)
        else:
            step = runner.apply(
                NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=d.params), NOW
            )
        events += step.events
        pending += step.dispatch
    return step.finished, events


def test_batch_runner_keeps_max_parallel_in_flight():
    _, _, step = start(10, size=10)
    runner = BatchRunner(step.dispatch[0].batch)
    first = runner.begin(NOW)
    assert len(first.dispatch) == 4


def test_batch_runner_retries_and_numbers_events_inside_its_range():
    _, _, step = start(10)
    batch = step.dispatch[0].batch
    result, events = run_batch(batch, fail_first={"fan[1]"})
    assert [o.status for o in result.outcomes] == ["completed"] * 4
    assert result.outcomes[1].attempts == 2
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert batch.seq_base <= seqs[0] and seqs[-1] < batch.seq_base + batch.seq_span
    kinds = [(e.kind.value, e.attempt) for e in events if e.node_id == "fan[1]"]
    assert kinds == [
        ("node.ready", None),
        ("node.dispatched", 1),
        ("node.retrying", 1),
        ("node.dispatched", 2),
        ("node.completed", 2),
    ]


def test_parent_applies_batch_outcomes_without_recording_child_events_again():
    evaluator, state, step = start(10)
    for dispatch in step.dispatch:
        result, _ = run_batch(dispatch.batch)
        last = evaluator.step(state, [BatchFinished(result=result)], NOW)
        assert not [e for e in last.events if e.node_id and e.node_id.startswith("fan[")]
    assert state.status == "completed"
    assert state.output == {"total": sum(range(10))}
    assert state.nodes["fan[9]"].status == "completed"


def test_a_failed_child_in_a_batch_fails_the_job_fast():
    evaluator, state, step = start(10)
    result, _ = run_batch(step.dispatch[0].batch)
    result.outcomes[2] = result.outcomes[2].model_copy(
        update={"status": "failed", "error": ErrorInfo(kind="x", message="broken", retryable=False)}
    )
    evaluator.step(state, [BatchFinished(result=result)], NOW)
    assert state.status == "failed"
    assert "fan[2]" in state.error.message


def test_a_stopped_batch_cancels_its_unfinished_children_and_finishes():
    _, _, step = start(10)
    runner = BatchRunner(step.dispatch[0].batch)
    first = runner.begin(NOW).dispatch[0]
    runner.apply(NodeCompleted(node_id=first.node_id, attempt=1, output={"n": 0}), NOW)

    stopped = runner.stop("job j ended cancelled", NOW)

    # only what the batch actually cancelled gets an event: fan[0] completed here
    assert [(e.kind.value, e.node_id) for e in stopped.events] == [
        ("node.cancelled", "fan[1]"),
        ("node.cancelled", "fan[2]"),
        ("node.cancelled", "fan[3]"),
    ]
    assert stopped.finished is not None
    statuses = [(o.node_id, o.status) for o in stopped.finished.outcomes]
    assert statuses == [
        ("fan[0]", "completed"),
        ("fan[1]", "cancelled"),
        ("fan[2]", "cancelled"),
        ("fan[3]", "cancelled"),
    ]


def test_results_arriving_after_a_stop_are_ignored():
    _, _, step = start(10)
    runner = BatchRunner(step.dispatch[0].batch)
    first = runner.begin(NOW).dispatch[0]
    runner.stop(None, NOW)
    late = runner.apply(NodeCompleted(node_id=first.node_id, attempt=1, output={"n": 0}), NOW)
    assert late.dispatch == [] and late.events == [] and late.finished is None


def test_batch_progress_counts_children_by_outcome():
    _, _, step = start(10)
    runner = BatchRunner(step.dispatch[0].batch)
    first = runner.begin(NOW).dispatch[0]
    runner.apply(NodeCompleted(node_id=first.node_id, attempt=1, output={"n": 0}), NOW)
    assert runner.progress() == {
        "batch_id": "fan@0",
        "counts": {"completed": 1, "in_flight": 1, "waiting": 2},
    }


def test_cancelling_the_job_leaves_a_batch_s_children_to_the_batch():
    from domain.decisions import CancelRequested

    evaluator, state, _ = start(10)
    step = evaluator.step(state, [CancelRequested(by="ops", reason="stop")], NOW)
    cancelled = [e.node_id for e in step.events if e.kind.value == "node.cancelled"]
    assert cancelled == ["fan", "total", "end"]  # no fan[i]: each batch records its own
    assert state.nodes["fan[3]"].status == "cancelled"
    assert state.status == "cancelled"
