"""Fixtures for the offline checks of infra/: broken copies, and one checkov run for all."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import INFRA, REPO

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
POLICIES = INFRA / "policies"


@dataclass(frozen=True)
class Break:
    """Replace `old` (which must be there) by `new` in one file of a copy of infra/."""

    file: str
    old: str
    new: str


# What the tests that show each check can fail break. Each is one small, plausible slip.
PARAM_TYPO = Break(
    "main.bicep",
    "    tableEndpoint: storage.outputs.tableEndpoint\n",
    "    tableEndpiont: storage.outputs.tableEndpoint\n",
)
SHARED_KEYS_ON = Break(
    "app/storage.bicep", "allowSharedKeyAccess: false", "allowSharedKeyAccess: true"
)
# A multi-line ternary: valid Bicep, but checkov's parser cannot read it (and says so only in
# its JSON report).
UNPARSEABLE_FOR_CHECKOV = Break(
    "app/worker.bicep",
    "var keyEnv = hasKey ? [",
    "var keyEnv = hasKey\n  ? [",
)
# A vault that grants by access policy instead of by role.
VAULT_ACCESS_POLICIES = Break(
    "app/keyvault.bicep",
    "    enableRbacAuthorization: true\n",
    "    enableRbacAuthorization: false\n    accessPolicies: []\n",
)
# App Service Authentication that lets unauthenticated callers through.
AUTH_ANONYMOUS = Break(
    "app/functionapp.bicep",
    "unauthenticatedClientAction: 'Return401'",
    "unauthenticatedClientAction: 'AllowAnonymous'",
)


def copy_infra(destination: Path, *breaks: Break) -> Path:
    shutil.copytree(INFRA, destination, ignore=shutil.ignore_patterns("__pycache__"))
    for change in breaks:
        path = destination / change.file
        source = path.read_text(encoding="utf-8")
        assert change.old in source, f"{change.file} no longer contains {change.old!r}"
        path.write_text(source.replace(change.old, change.new, 1), encoding="utf-8")
    return destination


@dataclass(frozen=True)
class CheckovReport:
    failed: list[dict[str, Any]]
    passed: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    parsing_errors: list[str]


def _split(report: dict[str, Any], prefix: str) -> CheckovReport:
    def mine(check: dict[str, Any]) -> bool:
        return str(check["file_path"]).startswith(prefix)

    results = report["results"]
    return CheckovReport(
        failed=[c for c in results["failed_checks"] if mine(c)],
        passed=[c for c in results["passed_checks"] if mine(c)],
        skipped=[c for c in results["skipped_checks"] if mine(c)],
        parsing_errors=[p for p in results.get("parsing_errors", []) if f"{prefix}" in p],
    )


@pytest.fixture(scope="session")
def checkov_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CheckovReport]:
    """checkov once over a copy of infra/ (`real`) and a broken copy (`broken`): one start-up
    (most of its ~20 s) for both."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make install` (it builds .venv-checkov)")
    root = tmp_path_factory.mktemp("checkov")
    copy_infra(root / "real")
    copy_infra(
        root / "broken",
        PARAM_TYPO,
        SHARED_KEYS_ON,
        UNPARSEABLE_FOR_CHECKOV,
        VAULT_ACCESS_POLICIES,
        AUTH_ANONYMOUS,
    )
    run = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "bicep",
            "--skip-download",
            "--external-checks-dir",
            str(POLICIES),
            "--output",
            "json",
            "--directory",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if not run.stdout.strip():
        pytest.fail(f"checkov printed no report (exit {run.returncode}): {run.stderr[-2000:]}")
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    return {"real": _split(report, "/real/"), "broken": _split(report, "/broken/")}
