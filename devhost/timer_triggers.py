"""Timer-triggered functions: NCRONTAB schedules (6 fields, with seconds) or TimeSpan intervals.

Contract: `TimerTriggers.start()` runs every timer function at each time its schedule
matches (UTC), and once at start when `runOnStartup` is true. It passes a
`func.TimerRequest` (and durable client bindings).
Unlike Azure, devhost does not record the last run (`useMonitor`), so a run missed while
devhost was down is not reported as past due.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from azure.functions.timer import TimerRequest

from devhost.app_loader import FunctionInfo
from devhost.bindings import function_kwargs
from devhost.engine.invoker import Invoker
from devhost.keys import HostKeys
from devhost.settings import DevhostSettings
from devhost.timeutil import utcnow

log = logging.getLogger("devhost")

_NAMES = {
    **{
        m: i
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
            start=1,
        )
    },
    **{d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_RANGES = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")


class ScheduleError(ValueError):
    """A timer trigger's schedule is not a valid NCRONTAB expression."""


def _value(text: str) -> int:
    return _NAMES[text.lower()] if text.lower() in _NAMES else int(text)


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = _value(first), _value(last)
        else:
            start = _value(body)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ScheduleError(f"'{part}' is out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        parts = expression.split()
        if len(parts) != 6:
            raise ScheduleError(
                f"Invalid schedule '{expression}': NCRONTAB needs 6 fields "
                "({second} {minute} {hour} {day} {month} {day-of-week})."
            )
        try:
            fields = [_field(p, lo, hi) for p, (lo, hi) in zip(parts, _RANGES, strict=True)]
        except (ValueError, KeyError) as exc:
            raise ScheduleError(f"Invalid schedule '{expression}': {exc}") from exc
        return cls(*fields)

    def next_after(self, moment: datetime) -> datetime:
        """The first matching second strictly after `moment`."""
        at = moment.replace(microsecond=0) + timedelta(seconds=1)
        for _ in range(200_000):  # bounded: an impossible date (Feb 30) must not spin forever
            weekday = (at.weekday() + 1) % 7  # cron counts Sunday as 0
            if at.month not in self.months:
                at = (at.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)).replace(
                    day=1
                )
            elif at.day not in self.days or weekday not in self.weekdays:
                at = at.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif at.hour not in self.hours:
                at = at.replace(minute=0, second=0) + timedelta(hours=1)
            elif at.minute not in self.minutes:
                at = at.replace(second=0) + timedelta(minutes=1)
            elif at.second not in self.seconds:
                at += timedelta(seconds=1)
            else:
                return at
        raise ScheduleError("schedule never matches")


def next_occurrence(schedule: str, after: datetime) -> datetime:
    span = _TIMESPAN.match(schedule.strip())
    if span:
        days, hours, minutes, seconds = (int(g or 0) for g in span.groups())
        return after + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return CronSchedule.parse(schedule).next_after(after)


class TimerTriggers:
    def __init__(
        self,
        settings: DevhostSettings,
        keys: HostKeys,
        invoker: Invoker,
        functions: list[FunctionInfo],
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.invoker = invoker
        self.functions = [f for f in functions if f.trigger_type == "timerTrigger"]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for info in self.functions:
            schedule = str(info.trigger.get("schedule", ""))
            next_occurrence(schedule, utcnow())  # fail at start on a bad schedule
            self._tasks.append(asyncio.get_running_loop().create_task(self._run(info)))
            log.info("function %s: timer '%s'", info.name, schedule)

    def stop(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _run(self, info: FunctionInfo) -> None:
        schedule = str(info.trigger["schedule"])
        if info.trigger.get("runOnStartup"):
            await self._fire(info)
        while True:
            due = next_occurrence(schedule, utcnow())
            await asyncio.sleep(max(0.0, (due - utcnow()).total_seconds()))
            await self._fire(info)

    async def _fire(self, info: FunctionInfo) -> None:
        try:
            request = TimerRequest(past_due=False, schedule={"AdjustForDST": True})
            kwargs = function_kwargs(info, request, self.settings, self.keys)
            await self.invoker.call(info.fn, kwargs, self.invoker.http_pool)
            log.info("timer function %s ran", info.name)
        except Exception as exc:
            log.warning("timer function %s failed: %s: %s", info.name, type(exc).__name__, exc)
