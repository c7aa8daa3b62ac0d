"""The shipped workflows by id and version, for the API: an unknown one is a 404 naming the
known ids. The set itself is `wiring.workflows()`."""

from __future__ import annotations

import wiring
from api.http import NotFound
from domain.models import WorkflowDefinition
from domain.snapshot import PinnedWorkflow, pin


def find(workflow_id: str, version: int | None = None) -> WorkflowDefinition:
    try:
        return wiring.workflows().get(workflow_id, version)
    except KeyError:
        known = ", ".join(sorted({w for w, _ in wiring.workflows().workflows}))
        what = f"workflow '{workflow_id}'" + (f" version {version}" if version else "")
        raise NotFound(f"unknown {what} (known: {known})") from None


def pinned(workflow_id: str, version: int | None) -> PinnedWorkflow:
    """The workflow with every sub-workflow it names, pinned (snapshot and hash)."""
    return pin(find(workflow_id, version), lambda wid, v: find(wid, v))
