"""The console in a real browser: headless Chromium against the app on devhost."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import OPERATOR, screenshot

pytestmark = pytest.mark.slow


def _statuses(page: Page) -> dict[str, str]:
    return page.locator("svg.dag [data-node-id]").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.nodeId, e.dataset.status]))"
    )


def test_the_graph_of_a_running_fan_out_changes_state_without_a_reload(console, browser):
    job_id = console.submit("wide_cancel_test", {"items": list(range(8)), "seconds": 1})
    console.wait(job_id, until={"running"})
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    page.evaluate("window.__loadedOnce = true")
    loaded = len(requested)
    fan_out = page.locator('svg.dag [data-node-id="each"]')
    assert fan_out.get_attribute("data-status") != "completed"
    screenshot(page, "job-running")
    expect(fan_out).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(page.locator('[data-children-of="each"]')).to_have_text("8 completed")
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "completed")
    assert page.evaluate("window.__loadedOnce") is True  # the same document all along
    assert all(url.startswith(console.url) for url in requested)  # nothing from elsewhere
    polls = {url.split(job_id)[1] for url in requested[loaded:]}
    assert polls <= {"/live", "/gantt"}, polls
    page.close()


def test_every_node_of_a_finished_job_is_completed(console, browser):
    job_id = console.submit("fan_out_test", {"numbers": [1, 2, 3]})
    console.wait(job_id)
    page = browser.new_page()
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    statuses = _statuses(page)
    assert set(statuses) == {"start", "square", "collect", "total", "end"}
    assert set(statuses.values()) == {"completed"}
    assert page.locator('[data-children-of="square"]').text_content() == "3 completed"
    screenshot(page, "job-completed")
    page.close()


def test_a_failed_job_shows_the_failed_node_and_its_error(console, browser):
    job_id = console.submit("fail_test", {"message": "no such band: 7"})
    assert console.wait(job_id)["status"] == "failed"
    page = browser.new_page()
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    assert _statuses(page)["broken"] == "failed"
    assert _statuses(page)["prepare"] == "completed"
    expect(page.locator("[data-job-error]")).to_contain_text("no such band: 7")
    expect(page.locator('[data-failed-node="broken"]')).to_be_visible()
    page.locator('[data-node-link="broken"]').first.click()
    expect(page.locator("[data-node-error]")).to_contain_text("no such band: 7")
    screenshot(page, "job-failed")
    page.close()


def test_the_timeline_shows_retry_back_off_and_timed_out_attempts(console, browser):
    job_id = console.submit("timeouts_test")
    console.wait(job_id)
    page = browser.new_page()
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    bars = page.locator('.gantt rect[data-node-id="slow"]')
    phases = bars.evaluate_all("els => els.map(e => [e.dataset.phase, e.dataset.outcome])")
    assert phases == [["running", "timed_out"], ["backoff", ""], ["running", "timed_out"]]
    assert _statuses(page)["slow"] == "timed_out"
    page.close()


def test_cancel_from_the_page_cancels_the_job_as_the_signed_in_user(console, browser):
    job_id = console.submit("wide_cancel_test", {"items": list(range(40)), "seconds": 1})
    console.wait(job_id, until={"running"})
    page = browser.new_page()
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    page.locator("[data-cancel-form] input[name=reason]").fill("wrong file")
    page.locator("[data-cancel-form] button").click()
    expect(page.locator(".notice")).to_have_text("Cancel requested.")
    assert console.wait(job_id)["status"] == "cancelled"
    cancelled = [e for e in console.timeline(job_id) if e["kind"] == "job.cancelled"]
    assert cancelled[0]["data"] == {"by": OPERATOR, "reason": "wrong file"}
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "cancelled")
    expect(page.locator("[data-cancel-form]")).to_be_hidden()
    page.close()


def test_approve_from_the_page_sends_the_decision_with_its_reason(console, browser):
    job_id = console.submit("approval_test")
    page = browser.new_page()
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    form = page.locator('form[data-approval-for="review"]')
    expect(form).to_be_visible()
    screenshot(page, "job-approval-waiting")
    form.locator("input[name=reason]").fill("looks right")
    form.locator("button[value=approve]").click()
    expect(page.locator(".notice")).to_have_text("Approval sent.")
    job = console.wait(job_id)
    assert job["status"] == "completed"
    assert job["output"]["result"]["approved_by"] == OPERATOR
    (done,) = [
        e
        for e in console.timeline(job_id)
        if e["kind"] == "node.completed" and e["node_id"] == "review"
    ]
    assert done["data"] == {"approved": True, "by": OPERATOR, "reason": "looks right"}
    page.close()


def test_a_script_in_a_job_input_renders_as_text(console, browser):
    attack = "<script>alert(1)</script>"
    job_id = console.submit("echo_test", {"message": attack})
    console.wait(job_id)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{console.url}/ui/jobs/{job_id}")
    expect(page.locator("[data-job-inputs]")).to_contain_text(attack)
    page.locator('[data-node-link="first"]').first.click()
    expect(page.locator("#panel")).to_contain_text(attack)
    page.goto(f"{console.url}/ui/jobs?workflow_id=echo_test")
    assert page.locator("script").count() == 1  # only the console's own script
    assert dialogs == []
    page.close()


def test_the_submit_form_rejects_a_bad_input_naming_the_field(console, browser):
    page = browser.new_page()
    page.goto(f"{console.url}/ui/workflows/fan_out_test")
    page.locator('textarea[name="inputs.numbers"]').fill("three numbers")
    page.locator('input[name="inputs.max_parallel"]').fill("eight")
    with page.expect_response(re.compile(r"/submit")) as response:
        page.locator("form.submit button[type=submit]").click()
    assert response.value.status == 400
    expect(page.locator('[data-field-error="numbers"]')).to_contain_text(
        "numbers: expected a JSON array"
    )
    expect(page.locator('[data-field-error="max_parallel"]')).to_contain_text("expected an integer")
    assert page.locator('textarea[name="inputs.numbers"]').input_value() == "three numbers"
    screenshot(page, "workflow-form-errors")
    page.close()


def test_the_submit_form_starts_a_job_and_opens_its_page(console, browser):
    page = browser.new_page()
    page.goto(f"{console.url}/ui/workflows/fan_out_test")
    page.locator('textarea[name="inputs.numbers"]').fill("[2, 3]")
    page.locator("form.submit button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ui/jobs/[0-9a-f]{32}"))
    job_id = page.url.split("/ui/jobs/")[1].split("?")[0]
    assert console.wait(job_id)["output"]["result"] == {"squares": [4, 9], "sum": 13}
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "completed")
    page.close()


def test_the_dashboard_and_job_list_show_the_jobs(console, browser):
    job_id = console.submit("echo_test", {"message": "listed"})
    console.wait(job_id)
    page = browser.new_page()
    page.goto(f"{console.url}/")
    assert page.url.endswith("/ui/")
    for name in ("database", "storage", "task queue"):
        expect(page.locator(f'[data-health="{name}"]')).to_have_attribute("data-ok", "true")
    assert int(page.locator('[data-count-status="completed"] .count').text_content()) >= 1
    screenshot(page, "dashboard")
    page.goto(f"{console.url}/ui/jobs?workflow_id=echo_test&limit=20")
    expect(page.locator(f'tr[data-job-id="{job_id}"]')).to_contain_text("completed")
    screenshot(page, "jobs")
    page.goto(f"{console.url}/ui/workflows")
    page.locator("a", has_text="raster_ingest").first.click()
    expect(page.locator('svg.dag [data-node-id="validate"]')).to_be_visible()
    screenshot(page, "workflow")
    page.close()
