"""devhost's log says what happens, one readable line per fact."""

from __future__ import annotations

import re

import pytest

from tests.devhost.conftest import Driver

pytestmark = pytest.mark.slow
LINE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARNING) "


def test_log_reports_start_timer_activity_failure_and_outcome(driver: Driver) -> None:
    timer_id = driver.start("durable_timer", 0.2)
    failing_id = driver.start("failing")
    driver.wait(timer_id)
    driver.wait(failing_id)
    log = driver.host.log_text()
    assert re.search(LINE + rf"durable_timer \({timer_id}\): started$", log, re.M)
    assert re.search(LINE + rf"durable_timer \({timer_id}\): timer 0 fired$", log, re.M)
    assert re.search(LINE + rf"durable_timer \({timer_id}\): completed$", log, re.M)
    assert re.search(
        LINE + rf"activity explode for {failing_id} failed: RuntimeError: kaboom$", log, re.M
    )
    assert re.search(
        LINE + rf"failing \({failing_id}\): failed: Orchestrator function "
        r"'failing' failed: Activity function 'explode' failed: "
        r"RuntimeError: kaboom$",
        log,
        re.M,
    )
