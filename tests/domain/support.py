"""Small builders so evaluator tests read as workflows, not as plumbing."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import Any

from domain.decisions import NodeCompleted, NodeFailed, Step
from domain.errors import ErrorInfo
from domain.evaluator import Evaluator
from domain.loader import load_workflow_text
from domain.models import WorkflowDefinition
from domain.simulate import given
from domain.state import JobInfo

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def workflow(body: str, *, inputs: str = "", extra: str = "") -> WorkflowDefinition:
    """A workflow from its node list (YAML, indented under `nodes:`)."""
    text = "workflow_id: t\nversion: 1\ndefaults: {queue: light}\n"
    if inputs:
        text += "inputs:\n" + textwrap.indent(textwrap.dedent(inputs), "  ")
    text += textwrap.dedent(extra)
    text += "nodes:\n" + textwrap.indent(textwrap.dedent(body), "  ")
    return load_workflow_text(text, "test.yaml")


class Run:
    """Drives the evaluator the way the orchestrator does, one result at a time."""

    def __init__(
        self,
        definition: WorkflowDefinition,
        inputs: dict[str, Any] | None = None,
        **options: Any,
    ):
        self.evaluator = Evaluator(definition, **options)
        job = JobInfo(id="job-1", workflow_id=definition.workflow_id, version=definition.version)
        self.state, self.last = self.evaluator.start(job, inputs or {}, NOW)
        self.steps: list[Step] = [self.last]

    def in_flight(self) -> list[str]:
        return [
            d.node_id
            for s in self.steps
            for d in s.dispatch
            if not self.state.nodes[d.node_id].status.is_final
        ]

    def complete(self, node_id: str, output: Any = None) -> Step:
        attempt = self.state.nodes[node_id].attempt
        return self.feed(NodeCompleted(node_id=node_id, attempt=attempt, output=output))

    def fail(
        self, node_id: str, kind: str = "boom", retryable: bool = True, timed_out: bool = False
    ) -> Step:
        attempt = self.state.nodes[node_id].attempt
        error = ErrorInfo(kind=kind, message=f"{node_id} failed", retryable=retryable)
        return self.feed(
            NodeFailed(node_id=node_id, attempt=attempt, error=error, timed_out=timed_out)
        )

    def feed(self, *results: Any) -> Step:
        self.last = self.evaluator.step(self.state, list(results), NOW)
        self.steps.append(self.last)
        return self.last

    def status(self, node_id: str) -> str:
        return self.state.nodes[node_id].status.value

    def dispatched(self) -> list[str]:
        return [d.node_id for d in self.last.dispatch]

    def echo_all(self) -> None:
        """Complete every dispatched node with its params as output, until nothing is left."""
        pending = list(self.last.dispatch)
        while pending and not self.state.status.is_final:
            step = self.feed(
                *[
                    NodeCompleted(node_id=d.node_id, attempt=d.attempt, output=given(d))
                    for d in pending
                ]
            )
            pending = list(step.dispatch)
