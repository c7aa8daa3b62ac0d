"""The anonymous probes: up or down and why, no connection details, a bounded wait; and a
broken workflow file reported by `readyz` while the valid workflows keep working."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

import wiring
from api.health import readyz
from api.workflows import get_workflow, list_workflows
from devhost.testing import free_port

GOOD = """\
workflow_id: still_works
version: 1
nodes:
  - {id: start, type: start}
  - {id: end, type: end, depends_on: [start]}
"""
BROKEN = """\
workflow_id: broken
version: 1
nodes:
  - {id: start, type: start}
  - {id: end, type: end, depends_on: [nowhere]}
"""


def _call(route: Any, path: str, route_params: dict[str, str] | None = None) -> tuple[int, Any]:
    request = func.HttpRequest(
        "GET", f"http://127.0.0.1:7071/{path}", route_params=route_params or {}, body=b""
    )
    response = asyncio.run(route._function._func(request))
    return response.status_code, json.loads(response.get_body())


@pytest.fixture
def silent_storage() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung storage endpoint)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.fixture
def workflow_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text(BROKEN)
    monkeypatch.setenv("DAGMASTER_WORKFLOWS_DIR", str(tmp_path))
    wiring.workflows.cache_clear()
    yield tmp_path
    wiring.workflows.cache_clear()


@pytest.fixture
def unreachable(silent_storage: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Database and storage settings that point nowhere useful; yields the database port."""
    db_port = free_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://probeuser:secret@127.0.0.1:{db_port}/probedb")
    monkeypatch.setenv(
        "DAGMASTER_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        f"BlobEndpoint=http://127.0.0.1:{silent_storage}/devstoreaccount1;",
    )
    monkeypatch.setenv("DAGMASTER_PROBE_TIMEOUT_SECONDS", "2")
    wiring.reset()
    yield db_port
    wiring.reset()


def test_readyz_says_why_a_dependency_is_down_without_connection_details(
    unreachable: int, silent_storage: int, workflow_dir: Path
) -> None:
    status, body = _call(readyz, "api/readyz")
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": False, "reason": "unreachable (CatalogUnavailable)"}
    assert body["checks"]["storage"] == {"ok": False, "reason": "no answer within 2 s"}
    text = json.dumps(body)
    for detail in ("probeuser", "secret", "probedb", "127.0.0.1", str(unreachable)):
        assert detail not in text
    assert str(silent_storage) not in text


def test_readyz_answers_within_the_probe_timeout_when_storage_hangs(
    unreachable: int, workflow_dir: Path
) -> None:
    started = time.monotonic()
    status, body = _call(readyz, "api/readyz")
    assert time.monotonic() - started < 4
    assert status == 503
    assert body["checks"]["storage"]["reason"] == "no answer within 2 s"


def test_readyz_lists_each_workflow_load_problem_with_file_and_line(
    unreachable: int, workflow_dir: Path
) -> None:
    _, body = _call(readyz, "api/readyz")
    workflows = body["checks"]["workflows"]
    assert workflows["ok"] is False
    assert workflows["reason"] == "1 problem(s) left workflow files out"
    [problem] = workflows["errors"]
    assert problem.startswith(f"{workflow_dir / 'broken.yaml'}:5: node 'end':")
    assert "nowhere" in problem


def test_valid_workflows_keep_working_beside_a_broken_file(workflow_dir: Path) -> None:
    status, body = _call(list_workflows, "api/workflows")
    assert status == 200
    assert [w["workflow_id"] for w in body["items"]] == ["still_works"]
    status, body = _call(get_workflow, "api/workflows/broken", {"workflow_id": "broken"})
    assert status == 404
    assert "1 problem(s) left workflow files out, see /api/readyz" in body["error"]
