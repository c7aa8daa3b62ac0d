"""Timer-triggered functions: NCRONTAB schedules and the running scheduler."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devhost.timer_triggers import CronSchedule, ScheduleError, next_occurrence
from tests.devhost.conftest import Driver
from tests.support.polling import wait_until

T = datetime(2026, 1, 5, 10, 7, 30, 500000, tzinfo=UTC)  # a Monday


def test_every_five_minutes_fires_on_the_next_multiple() -> None:
    assert next_occurrence("0 */5 * * * *", T) == datetime(2026, 1, 5, 10, 10, tzinfo=UTC)


def test_weekday_names_and_ranges() -> None:
    # 09:30 on weekdays: Monday 10:07 is past, so Tuesday.
    got = next_occurrence("0 30 9 * * Mon-Fri", T)
    assert got == datetime(2026, 1, 6, 9, 30, tzinfo=UTC)


def test_month_rollover_to_next_year() -> None:
    assert next_occurrence("0 0 0 1 Jan *", T) == datetime(2027, 1, 1, tzinfo=UTC)


def test_timespan_schedule_is_an_interval() -> None:
    assert next_occurrence("00:00:30", T) == datetime(2026, 1, 5, 10, 8, 0, 500000, tzinfo=UTC)


def test_five_field_cron_is_rejected_with_the_expected_format() -> None:
    with pytest.raises(ScheduleError, match="6 fields"):
        CronSchedule.parse("*/5 * * * *")


@pytest.mark.slow
def test_timer_function_runs_on_startup_and_on_schedule_with_a_durable_client(
    driver: Driver,
) -> None:
    beats = driver.out_dir / "heartbeat.txt"
    wait_until(
        lambda: beats.exists() and len(beats.read_text().split()) >= 2,
        10,
        lambda: driver.host.log_text()[-2000:],
        interval=0.2,
    )
    assert set(beats.read_text().split()) == {"DurableOrchestrationClient"}
