"""A dry run of the evaluator: every handler echoes its rendered params (or returns a
given output), approvals are granted and sub-workflows echo their inputs. Shows the order
in which nodes would run and which are skipped, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.decisions import (
    ApprovalReceived,
    Dispatch,
    NodeCompleted,
    Result,
    RunHeavyTask,
    RunLightTask,
    RunSubWorkflow,
    Step,
    WaitForApproval,
)
from domain.evaluator import Evaluator
from domain.models import WorkflowDefinition
from domain.state import JobInfo, JobState

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class PlanRound:
    """What became runnable together, and what was skipped, after one round of results."""

    dispatched: list[Dispatch] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    choices: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Plan:
    rounds: list[PlanRound]
    state: JobState


def simulate(
    definition: WorkflowDefinition,
    inputs: dict[str, Any],
    outputs: dict[str, Any] | None = None,
    max_rounds: int = 10_000,
) -> Plan:
    """Run the workflow to its end with simulated work; ``outputs`` overrides node outputs."""
    outputs = outputs or {}
    evaluator = Evaluator(definition)
    job = JobInfo(id="plan", workflow_id=definition.workflow_id, version=definition.version)
    state, step = evaluator.start(job, inputs, _EPOCH)
    rounds = [_round(step)]
    pending = list(step.dispatch)
    while pending and not state.status.is_final and len(rounds) < max_rounds:
        results = [_simulated_result(d, outputs) for d in pending]
        step = evaluator.step(state, results, _EPOCH)
        rounds.append(_round(step))
        pending = list(step.dispatch)
    return Plan(rounds=[r for r in rounds if r.dispatched or r.skipped or r.choices], state=state)


def _round(step: Step) -> PlanRound:
    return PlanRound(list(step.dispatch), dict(step.skipped), dict(step.choices))


def _simulated_result(dispatch: Dispatch, outputs: dict[str, Any]) -> Result:
    if isinstance(dispatch, WaitForApproval):
        return ApprovalReceived(node_id=dispatch.node_id, approved=True, by="plan")
    base_id = dispatch.node_id.split("[", 1)[0]
    output = outputs.get(dispatch.node_id, outputs.get(base_id, given(dispatch)))
    return NodeCompleted(node_id=dispatch.node_id, attempt=dispatch.attempt, output=output)


def given(dispatch: Dispatch) -> dict[str, Any]:
    """What a dispatched node is handed: a task's params, a sub-workflow's inputs."""
    if isinstance(dispatch, RunSubWorkflow):
        return dispatch.inputs
    return dispatch.params if isinstance(dispatch, RunLightTask | RunHeavyTask) else {}


def describe(dispatch: Dispatch) -> str:
    """``handler on queue`` for a task, else the kind of dispatch."""
    if isinstance(dispatch, RunLightTask | RunHeavyTask):
        return f"{dispatch.handler} on {dispatch.queue}"
    return dispatch.kind
