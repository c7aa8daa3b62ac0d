"""Orchestrator code and the domain it calls must be deterministic: no I/O, clocks, random
numbers or environment reads (they run again on every replay). devhost also fails any
orchestration whose replay diverges, so every end-to-end test checks replays too."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN_MODULES = {
    "random",
    "time",
    "os",
    "uuid",
    "secrets",
    "socket",
    "subprocess",
    "httpx",
    "requests",
    "psycopg",
    "psycopg_pool",
    "azure.storage",
    "azure.identity",
    "azure.servicebus",
    "adapters",
    "activities",
    "api",
    "handlers",
    "threading",
    "asyncio",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "getenv", "urandom", "open"}


def sources() -> list[Path]:
    folders = [REPO / "orchestrations", REPO / "entities"]
    return sorted([*(p for f in folders for p in f.glob("*.py")), *(REPO / "domain").rglob("*.py")])


def problems(path: Path, root: Path = REPO) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            if any(name == m or name.startswith(m + ".") for m in FORBIDDEN_MODULES):
                found.append(f"{path.relative_to(root)}:{node.lineno}: imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in FORBIDDEN_CALLS:
                found.append(f"{path.relative_to(root)}:{node.lineno}: calls {called}()")
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_orchestrator_code_has_no_io_clock_or_randomness(path):
    assert problems(path) == []


def test_the_check_catches_a_clock_read(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import random\nfrom datetime import datetime\nx = datetime.now()\n")
    assert problems(bad, tmp_path) == ["bad.py:1: imports random", "bad.py:3: calls now()"]
