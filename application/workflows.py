"""The workflows this process serves (`wiring.workflows()`), looked up and pinned."""

from __future__ import annotations

import wiring
from application.errors import UnknownWorkflow
from domain.models import WorkflowDefinition
from domain.snapshot import PinnedWorkflow, pin


def find(workflow_id: str, version: int | None = None) -> WorkflowDefinition:
    """The definition, latest version unless ``version``; `UnknownWorkflow` naming the known
    ones (and, when files failed to load, saying so: the workflow may be in one of them)."""
    found = wiring.workflows()
    try:
        return found.get(workflow_id, version)
    except KeyError:
        known = ", ".join(sorted({w for w, _ in found.workflows}))
        what = f"workflow '{workflow_id}'" + (f" version {version}" if version else "")
        broken = len(found.problems)
        hint = f"; {broken} problem(s) left workflow files out, see /api/readyz" if broken else ""
        raise UnknownWorkflow(f"unknown {what} (known: {known}{hint})") from None


def pinned(workflow_id: str, version: int | None) -> PinnedWorkflow:
    return pin(find(workflow_id, version), lambda wid, v: find(wid, v))
