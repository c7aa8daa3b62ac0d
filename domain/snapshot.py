"""Version pinning: a canonical JSON snapshot of a definition, its content hash, and the
provenance every completed job returns.

A job carries the snapshot of its workflow (and of every sub-workflow it can reach), so a
running job never sees a later edit of the YAML.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.models import SubWorkflowNode, WorkflowDefinition


def canonical_json(definition: WorkflowDefinition) -> str:
    """Sorted keys, no insignificant whitespace, defaults included: equal definitions give
    equal text whatever their YAML formatting."""
    data = definition.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(definition: WorkflowDefinition) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(definition).encode("utf-8")).hexdigest()


def workflow_key(workflow_id: str, version: int) -> str:
    return f"{workflow_id}@{version}"


class PinnedWorkflow(BaseModel):
    """A definition frozen at submission, with the pinned sub-workflows it may run."""

    definition: WorkflowDefinition
    hash: str
    sub_workflows: dict[str, PinnedWorkflow] = Field(default_factory=dict)

    def sub_workflow(self, workflow_id: str, version: int | None) -> PinnedWorkflow:
        if version is not None:
            return self.sub_workflows[workflow_key(workflow_id, version)]
        matches = [
            p for p in self.sub_workflows.values() if p.definition.workflow_id == workflow_id
        ]
        return max(matches, key=lambda p: p.definition.version)


Resolve = Callable[[str, int | None], WorkflowDefinition]


def pin(
    definition: WorkflowDefinition, resolve: Resolve, _seen: frozenset[str] = frozenset()
) -> PinnedWorkflow:
    """Snapshot ``definition`` and, through ``resolve``, every sub-workflow it names.

    A sub-workflow that (indirectly) runs itself is rejected: it would never end."""
    key = workflow_key(definition.workflow_id, definition.version)
    if key in _seen:
        raise ValueError(f"sub-workflow cycle through '{key}'")
    subs: dict[str, PinnedWorkflow] = {}
    for node in definition.nodes:
        if isinstance(node, SubWorkflowNode):
            child = resolve(node.workflow_id, node.version)
            pinned = pin(child, resolve, _seen | {key})
            subs[workflow_key(child.workflow_id, child.version)] = pinned
    return PinnedWorkflow(definition=definition, hash=content_hash(definition), sub_workflows=subs)


class Provenance(BaseModel):
    workflow_id: str
    version: int
    hash: str
    job_id: str
    completed_at: datetime


def provenance(pinned: PinnedWorkflow, job_id: str, completed_at: datetime) -> dict[str, Any]:
    return Provenance(
        workflow_id=pinned.definition.workflow_id,
        version=pinned.definition.version,
        hash=pinned.hash,
        job_id=job_id,
        completed_at=completed_at,
    ).model_dump(mode="json")
