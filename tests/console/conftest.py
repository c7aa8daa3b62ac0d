"""The console on devhost (real Azurite, real PostgreSQL) and a headless Debian Chromium
driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

from devhost.testing import CHROMIUM, CHROMIUM_FLAGS
from tests.engine.support import TEST_WORKFLOWS, Engine, run_engine
from tests.support.postgres import fresh_catalog

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "test-artifacts" / "console"
OPERATOR = "ana@example.org"


@pytest.fixture(scope="package")
def console(azurite, embedded_pg, tmp_path_factory) -> Iterator[Engine]:
    """The product app on devhost, with its own catalog schema, for every console test."""
    data_dir = tmp_path_factory.mktemp("console")
    env = {
        "DAGMASTER_WORKFLOWS_DIR": os.pathsep.join(
            [str(REPO / "workflows"), str(TEST_WORKFLOWS), str(HERE / "workflows")]
        ),
        "DAGMASTER_PLATFORMS_DIR": os.pathsep.join(
            [str(REPO / "platforms"), str(HERE / "platforms")]
        ),
    }
    with fresh_catalog(embedded_pg) as db, run_engine(azurite, db.url, data_dir, env) as running:
        yield running


@pytest.fixture(scope="package")
def browser(tmp_path_factory) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile. Every request carries the header App Service
    Authentication injects, so pages act as ``OPERATOR``."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run `make install` (as root)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            extra_http_headers={"X-MS-CLIENT-PRINCIPAL-NAME": OPERATOR},
            viewport={"width": 1500, "height": 1000},
        )
        context.set_default_timeout(20_000)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
