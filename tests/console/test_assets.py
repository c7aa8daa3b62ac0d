"""The asset pages in a real browser: a version processed, reviewed and published."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.console.conftest import OPERATOR, screenshot

pytestmark = pytest.mark.slow


def _submit(console, dataset: str) -> str:
    body = {
        "platform_id": "console_test",
        "request_id": f"{dataset}-{uuid.uuid4().hex[:8]}",
        "identifiers": {"dataset_id": dataset},
        "data_type": "table",
        "source": {"container": "raw", "blob_path": f"{dataset}.csv"},
        "title": f"dataset {dataset}",
    }
    response = console.call("POST", "/api/platform/submit", json=body)
    assert response.status_code == 202, response.text
    asset_id = response.json()["asset_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        asset = console.call("GET", f"/api/assets/{asset_id}").json()
        if asset.get("latest_processing") == "completed":
            return asset_id
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} not processed: {asset}")


def test_a_reviewer_approves_clears_and_publishes_a_version_from_the_page(console, browser):
    asset_id = _submit(console, f"roads-{uuid.uuid4().hex[:6]}")
    page = browser.new_page()
    page.goto(f"{console.url}/ui/")
    expect(page.locator(f'[data-awaiting-review="{asset_id}"]')).to_be_visible()
    page.goto(f"{console.url}/ui/assets/{asset_id}")
    version = page.locator('tr[data-version="1"]')
    expect(version.locator("[data-approval]")).to_have_attribute("data-approval", "pending")
    approve = version.locator('form[data-version-action="approve"]')
    approve.locator("input[name=reason]").fill("checked the extent")
    approve.locator("button").click()
    expect(page.locator(".notice")).to_have_text("Version approved.")
    expect(version.locator("[data-approval]")).to_have_attribute("data-approval", "approved")
    for target, notice in (("cleared", "Asset cleared."), ("public", "Asset made public.")):
        form = page.locator(f'form[data-clearance-form="{target}"]')
        form.locator("input[name=reason]").fill(f"ok to be {target}")
        form.locator("button").click()
        expect(page.locator(".notice")).to_have_text(notice)
    expect(page.locator("[data-clearance]")).to_have_attribute("data-clearance", "public")
    history = console.call("GET", f"/api/assets/{asset_id}/history").json()["items"]
    reviewed = [r for r in history if r["by"] == OPERATOR]
    assert [(r["action"], r["reason"]) for r in reviewed][:3] == [
        ("approved", "checked the extent"),
        ("cleared", "ok to be cleared"),
        ("published", "ok to be public"),
    ]
    # The console runs locally (no App Service Authentication): no credential was checked.
    assert {r["via"] for r in reviewed} == {"open"}
    published = page.locator("table.history tr", has_text="ok to be public")
    expect(published.locator("td").nth(3)).to_have_text("open")
    screenshot(page, "asset")
    page.close()


def test_a_refused_reviewer_action_says_why(console, browser):
    asset_id = _submit(console, f"rivers-{uuid.uuid4().hex[:6]}")
    page = browser.new_page()
    page.goto(f"{console.url}/ui/assets/{asset_id}")
    form = page.locator('form[data-clearance-form="public"]')
    form.locator("input[name=reason]").fill("too early")
    with page.expect_response(lambda r: "/clearance/public" in r.url) as answer:
        form.locator("button").click()
    assert answer.value.status == 409
    expect(page.locator("[data-error]")).not_to_be_empty()
    page.close()


def test_a_failed_publication_is_retried_from_the_page(console, browser):
    # console_test's tables index no STAC item, so making one public fails at once.
    asset_id = _submit(console, f"lakes-{uuid.uuid4().hex[:6]}")
    base = f"/api/assets/{asset_id}"
    for path in ("/versions/1/approve", "/clearance/cleared", "/clearance/public"):
        answer = console.call("POST", base + path, json={"reason": "setup", "by": OPERATOR})
        assert answer.status_code == 200, answer.text
    assert "publication:retry" in console.call("GET", base).json()["actions"]
    page = browser.new_page()
    page.goto(f"{console.url}/ui/assets/{asset_id}")
    expect(page.locator("[data-publication]")).to_have_attribute("data-publication", "failed")
    page.locator('form[data-publication-action="retry"] button').click()
    expect(page.locator(".notice")).to_have_text("Publication retried.")
    history = console.call("GET", f"{base}/history").json()["items"]
    assert (history[-1]["action"], history[-1]["by"]) == ("publication_retried", OPERATOR)
    page.close()
