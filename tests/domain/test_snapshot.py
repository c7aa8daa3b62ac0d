from datetime import UTC, datetime

import pytest

from domain.loader import load_workflow_text
from domain.snapshot import PinnedWorkflow, canonical_json, content_hash, pin, provenance

BASE = """\
workflow_id: w
version: 1
defaults: {queue: light}
nodes:
  - {id: start, type: start}
  - {id: a, type: task, handler: echo, depends_on: [start], timeout: 60s}
  - {id: end, type: end, depends_on: [a]}
"""


def test_hash_ignores_yaml_formatting():
    reformatted = BASE.replace("timeout: 60s", "timeout: PT1M").replace(
        "  - {id: start", "  -   {id: start"
    )
    assert content_hash(load_workflow_text(BASE)) == content_hash(load_workflow_text(reformatted))


def test_hash_changes_with_meaning():
    changed = BASE.replace("timeout: 60s", "timeout: 2m")
    assert content_hash(load_workflow_text(BASE)) != content_hash(load_workflow_text(changed))


def test_snapshot_round_trips_to_the_same_definition():
    definition = load_workflow_text(BASE)
    pinned = pin(definition, lambda *_: pytest.fail("no sub-workflows"))
    restored = PinnedWorkflow.model_validate_json(pinned.model_dump_json())
    assert restored.definition == definition
    assert canonical_json(restored.definition) == canonical_json(definition)
    assert pinned.hash.startswith("sha256:") and len(pinned.hash) == 71


def test_pin_includes_sub_workflows():
    parent = load_workflow_text(
        BASE.replace(
            "{id: a, type: task, handler: echo, depends_on: [start], timeout: 60s}",
            "{id: a, type: sub_workflow, workflow_id: child, version: 1, depends_on: [start]}",
        )
    )
    child = load_workflow_text(BASE.replace("workflow_id: w", "workflow_id: child"))
    pinned = pin(parent, lambda wid, version: child)
    assert pinned.sub_workflow("child", 1).definition == child
    assert pinned.sub_workflow("child", None).hash == content_hash(child)


def test_provenance_names_workflow_version_hash_job_and_time():
    pinned = pin(load_workflow_text(BASE), lambda *_: None)
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert provenance(pinned, "job-9", at) == {
        "workflow_id": "w",
        "version": 1,
        "hash": pinned.hash,
        "job_id": "job-9",
        "completed_at": "2026-05-01T12:00:00Z",
    }
