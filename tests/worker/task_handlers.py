"""Test-only handlers, registered in the shared registry when the worker imports this module.

Each records what it did into a file named by its params, so a test can tell which steps
ran, in which process, and how often.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from handlers.base import HandlerContext, NonRetryableError, registry


def record(path: str, line: str) -> None:
    with Path(path).open("a") as f:
        f.write(line + "\n")


class EchoParams(BaseModel):
    model_config = {"extra": "allow"}


@registry.register("test.echo", EchoParams)
def echo(params: EchoParams, ctx: HandlerContext) -> dict[str, Any]:
    """Returns its params and what the context told it."""
    return {"params": params.model_dump(), "attempt": ctx.attempt, "checkpoint": ctx.checkpoint}


class CountParams(BaseModel):
    record: str


@registry.register("test.count", CountParams)
def count(params: CountParams, ctx: HandlerContext) -> dict[str, bool]:
    """Records one line per run."""
    record(params.record, f"{os.getpid()} run")
    return {"ok": True}


class FailParams(BaseModel):
    kind: str
    message: str = "bad input"


@registry.register("test.fail", FailParams)
def fail(params: FailParams, ctx: HandlerContext) -> None:
    """Fails permanently with the given kind."""
    raise NonRetryableError(params.message, kind=params.kind)


class StepsParams(BaseModel):
    total: int
    step_seconds: float = 0.1
    record: str


@registry.register("test.steps", StepsParams)
def steps(params: StepsParams, ctx: HandlerContext) -> dict[str, int]:
    """Runs steps 1..total, checkpointing after each; resumes after the checkpointed step."""
    start = int((ctx.checkpoint or {}).get("done", 0))
    for step in range(start + 1, params.total + 1):
        time.sleep(params.step_seconds)
        record(params.record, f"{os.getpid()} {step}")
        ctx.save_checkpoint({"done": step})
        ctx.report_progress(100 * step / params.total, f"step {step}")
    return {"resumed_after": start}


class CrashParams(BaseModel):
    record: str


@registry.register("test.crash", CrashParams)
def crash(params: CrashParams, ctx: HandlerContext) -> None:
    """Kills its own process, the way a segfault in GDAL would."""
    record(params.record, f"{os.getpid()} crash")
    os._exit(3)


class HogParams(BaseModel):
    megabytes: int


@registry.register("test.hog", HogParams)
def hog(params: HogParams, ctx: HandlerContext) -> int:
    """Allocates far more memory than a task may use."""
    block = bytearray(params.megabytes * 1024 * 1024)
    return len(block)


class SleepParams(BaseModel):
    seconds: float
    record: str | None = None


@registry.register("test.sleep", SleepParams)
def sleep(params: SleepParams, ctx: HandlerContext) -> dict[str, int]:
    """Sleeps; records "<pid> start <time>" and "<pid> end <time>"."""
    if params.record:
        record(params.record, f"{os.getpid()} start {time.time()}")
    time.sleep(params.seconds)
    if params.record:
        record(params.record, f"{os.getpid()} end {time.time()}")
    return {"pid": os.getpid()}


class ProgressThenSleepParams(BaseModel):
    seconds: float


@registry.register("test.progress_then_sleep", ProgressThenSleepParams)
def progress_then_sleep(params: ProgressThenSleepParams, ctx: HandlerContext) -> None:
    """Reports 10 % and 20 % at once, then sleeps without reporting."""
    ctx.report_progress(10, "first")
    ctx.report_progress(20, "second")
    time.sleep(params.seconds)
