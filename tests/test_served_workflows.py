"""The workflows a process serves are one set, `wiring.workflows()`, loaded once: the HTTP API,
the console and the application use cases see the same workflows, and the same broken files
that `readyz` reports; a changed folder is read again only after `wiring.reset()`."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

import wiring
from application.errors import UnknownWorkflow
from application.workflows import find
from devhost.testing import free_port
from domain import loader
from tests.support.app import call_route

GOOD = """\
workflow_id: still_works
version: 1
nodes:
  - {id: start, type: start}
  - {id: end, type: end, depends_on: [start]}
"""
BROKEN = GOOD.replace("still_works", "was_broken").replace("[start]}", "[nowhere]}")
FIXED = GOOD.replace("still_works", "was_broken")


def _get(route: str, path: str, route_params: dict[str, str] | None = None) -> func.HttpResponse:
    request = func.HttpRequest(
        "GET", f"http://127.0.0.1:7071/{path}", route_params=route_params or {}, body=b""
    )
    return call_route(route, request)


def api_workflows() -> set[str]:
    body = json.loads(_get("api/workflows", "api/workflows").get_body())
    return {w["workflow_id"] for w in body["items"]}


def console_workflows() -> set[str]:
    page = _get("ui/workflows", "ui/workflows").get_body().decode()
    return set(re.findall(r'<a href="/ui/workflows/([^"]+)">', page))


def application_workflows() -> set[str]:
    served = set()
    for workflow_id in ("still_works", "was_broken"):
        with contextlib.suppress(UnknownWorkflow):
            served.add(find(workflow_id).workflow_id)
    return served


def readyz_workflow_check() -> dict[str, Any]:
    body = json.loads(_get("api/readyz", "api/readyz").get_body())
    check: dict[str, Any] = body["checks"]["workflows"]
    return check


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A workflow folder with one valid and one broken file; database and storage refuse
    connections at once (readyz then answers quickly, down for them)."""
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text(BROKEN)
    monkeypatch.setenv("DAGMASTER_WORKFLOWS_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    monkeypatch.setenv(
        "DAGMASTER_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"BlobEndpoint=http://127.0.0.1:{free_port()}/devstoreaccount1;",
    )
    monkeypatch.setenv("DAGMASTER_PROBE_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("DAGMASTER_CONSOLE_AUTH", "local")
    wiring.reset()
    yield tmp_path
    wiring.reset()


def test_api_console_and_application_serve_one_set_loaded_once(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[list[Path | str]] = []

    def counted(
        paths: Iterable[Path | str], *, handlers: Collection[str] | None = None
    ) -> loader.WorkflowSet:
        loads.append(list(paths))
        return loader.load_workflows(loads[-1], handlers=handlers)

    monkeypatch.setattr(wiring, "load_workflows", counted)
    assert api_workflows() == console_workflows() == application_workflows() == {"still_works"}
    [error] = readyz_workflow_check()["errors"]
    assert error.startswith(f"{folder / 'broken.yaml'}:5: node 'end':")
    assert len(loads) == 1


def test_a_fixed_file_is_served_everywhere_after_reset_and_readyz_clears(folder: Path) -> None:
    assert readyz_workflow_check()["ok"] is False
    (folder / "broken.yaml").write_text(FIXED)
    assert api_workflows() == console_workflows() == application_workflows() == {"still_works"}
    assert readyz_workflow_check()["ok"] is False
    wiring.reset()
    both = {"still_works", "was_broken"}
    assert api_workflows() == console_workflows() == application_workflows() == both
    assert readyz_workflow_check() == {"ok": True}
