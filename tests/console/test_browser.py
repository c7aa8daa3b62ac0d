"""The console in a real browser: headless Chromium against the app on devhost."""

from __future__ import annotations

import pytest

from tests.console.conftest import screenshot

pytestmark = pytest.mark.slow


def test_every_node_of_a_finished_job_is_completed(console, browser):
    job_id = console.submit("fan_out_test", {"numbers": [1, 2, 3]})
    console.wait(job_id)
    page = browser.new_page()
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    nodes = page.locator("svg.dag [data-node-id]")
    assert nodes.count() == 5
    assert set(nodes.evaluate_all("els => els.map(e => e.dataset.status)")) == {"completed"}
    assert "3 completed" in page.locator('[data-children-of="square"]').text_content()
    screenshot(page, "job-completed")
    page.close()
