"""The workflows this process serves: loaded and validated once, looked up and pinned."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import handlers
from application.errors import UnknownWorkflow
from config.settings import AppSettings
from domain.loader import WorkflowSet, load_workflow_dir
from domain.models import WorkflowDefinition
from domain.snapshot import PinnedWorkflow, pin

WORKFLOWS_DIR = Path(__file__).resolve().parents[1] / "workflows"


@cache
def workflows() -> WorkflowSet:
    """Every workflow under `DAGMASTER_WORKFLOWS_DIR` (folders separated by the OS path
    separator; default: the app's `workflows/`)."""
    folders = (AppSettings.from_env().workflows_dirs or str(WORKFLOWS_DIR)).split(os.pathsep)
    return load_workflow_dir([Path(f) for f in folders if f], handlers=handlers.registry.names())


def find(workflow_id: str, version: int | None = None) -> WorkflowDefinition:
    """The definition, latest version unless ``version``; `UnknownWorkflow` naming the known."""
    try:
        return workflows().get(workflow_id, version)
    except KeyError:
        known = ", ".join(sorted({w for w, _ in workflows().workflows}))
        what = f"workflow '{workflow_id}'" + (f" version {version}" if version else "")
        raise UnknownWorkflow(f"unknown {what} (known: {known})") from None


def pinned(workflow_id: str, version: int | None) -> PinnedWorkflow:
    return pin(find(workflow_id, version), lambda wid, v: find(wid, v))
