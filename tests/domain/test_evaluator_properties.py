"""Properties of the evaluator over random acyclic workflows and random outcomes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.decisions import NodeCompleted, NodeFailed, RetryDue
from domain.errors import ErrorInfo
from domain.evaluator import Evaluator
from domain.models import WorkflowDefinition
from domain.state import JobInfo
from tests.domain.support import NOW


@st.composite
def random_workflows(draw: st.DrawFn) -> WorkflowDefinition:
    """start -> n tasks, each depending on 1-3 earlier nodes (all-of or any_of) -> end."""
    n = draw(st.integers(min_value=1, max_value=12))
    nodes: list[dict] = [{"id": "start", "type": "start"}]
    ids = ["start"]
    for i in range(n):
        deps = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        any_of = draw(st.booleans()) and len(deps) > 1
        retry = {"max_attempts": draw(st.integers(1, 3))}
        nodes.append(
            {
                "id": f"t{i}",
                "type": "task",
                "handler": "echo",
                "queue": "light",
                "depends_on": {"any_of": deps} if any_of else deps,
                "retry": retry,
            }
        )
        ids.append(f"t{i}")
    leaves = [i for i in ids if not any(i in _deps(nd) for nd in nodes)]
    nodes.append({"id": "end", "type": "end", "depends_on": leaves})
    policy = draw(st.sampled_from(["fail_fast", "continue"]))
    return WorkflowDefinition.model_validate(
        {"workflow_id": "p", "version": 1, "on_failure": policy, "nodes": nodes}
    )


def _deps(node: dict) -> list[str]:
    deps = node.get("depends_on", [])
    return deps["any_of"] if isinstance(deps, dict) else deps


def drive(definition: WorkflowDefinition, outcomes: st.DataObject):
    """Run to the end, choosing each outcome at random; return (state, history, order)."""
    evaluator = Evaluator(definition)
    job = JobInfo(id="j", workflow_id="p", version=1)
    state, step = evaluator.start(job, {}, NOW)
    history: list = []
    completed_order: list[str] = []
    pending = list(step.dispatch)
    retries = list(step.retries)
    for _ in range(1000):
        if state.status.is_final or not (pending or retries):
            break
        if retries and (not pending or outcomes.draw(st.booleans())):
            r = retries.pop(0)
            result = RetryDue(node_id=r.node_id, attempt=r.attempt)
        else:
            d = pending.pop(outcomes.draw(st.integers(0, len(pending) - 1)))
            if outcomes.draw(st.integers(0, 4)) == 0:
                result = NodeFailed(
                    node_id=d.node_id, attempt=d.attempt, error=ErrorInfo(kind="boom", message="x")
                )
            else:
                result = NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=d.node_id)
                completed_order.append(d.node_id)
        history.append(result)
        step = evaluator.step(state, [result], NOW)
        pending += step.dispatch
        retries += step.retries
    return state, history, completed_order


@settings(max_examples=150, deadline=None)
@given(random_workflows(), st.data())
def test_random_workflows_end_with_every_node_final(definition, data):
    state, _, _ = drive(definition, data)
    assert state.status.is_final
    assert all(node.status.is_final for node in state.nodes.values())


@settings(max_examples=150, deadline=None)
@given(random_workflows(), st.data())
def test_no_node_is_dispatched_before_its_dependencies_completed(definition, data):
    evaluator = Evaluator(definition)
    job = JobInfo(id="j", workflow_id="p", version=1)
    state, step = evaluator.start(job, {}, NOW)
    pending = list(step.dispatch)
    while pending and not state.status.is_final:
        for d in step.dispatch:
            node = definition.node(d.node_id)
            deps = node.dependency_ids()
            done = [x for x in deps if state.nodes[x].status == "completed"]
            finals = [x for x in deps if state.nodes[x].status.is_final]
            assert len(finals) == len(deps)
            assert done if node.joins_any() else len(done) == len(deps)
        d = pending.pop(data.draw(st.integers(0, len(pending) - 1)))
        step = evaluator.step(state, [NodeCompleted(node_id=d.node_id, attempt=d.attempt)], NOW)
        pending += step.dispatch


@settings(max_examples=100, deadline=None)
@given(random_workflows(), st.data())
def test_replaying_the_same_history_gives_the_same_decisions(definition, data):
    state, history, _ = drive(definition, data)
    evaluator = Evaluator(definition)
    job = JobInfo(id="j", workflow_id="p", version=1)
    replayed, first = evaluator.start(job, {}, NOW)
    steps = [first] + [evaluator.step(replayed, [r], NOW) for r in history]
    again, first_again = Evaluator(definition).start(job, {}, NOW)
    steps_again = [first_again] + [Evaluator(definition).step(again, [r], NOW) for r in history]
    assert [s.model_dump() for s in steps] == [s.model_dump() for s in steps_again]
    assert replayed.model_dump() == state.model_dump()
