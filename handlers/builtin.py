"""Handlers for tests and demos: echo, flaky_echo, sleep, fail, checkpoint_counter, make_items."""

from __future__ import annotations

import random
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from handlers.base import HandlerContext, NonRetryableError, RetryableError, registry


class EchoParams(BaseModel):
    model_config = ConfigDict(extra="allow")


@registry.register("echo", EchoParams)
def echo(params: EchoParams, ctx: HandlerContext) -> dict[str, Any]:
    """Returns its params unchanged."""
    return params.model_dump()


class FlakyEchoParams(BaseModel):
    model_config = ConfigDict(extra="allow")
    fail_first: int = Field(default=0, ge=0, description="fail attempts 1..k, then succeed")
    failure_probability: float = Field(default=0.0, ge=0.0, le=1.0)
    error_kind: str = "flaky"


@registry.register("flaky_echo", FlakyEchoParams)
def flaky_echo(params: FlakyEchoParams, ctx: HandlerContext) -> dict[str, Any]:
    """Echoes its extra params, after failing (retryably) the first k attempts or at random."""
    if ctx.attempt <= params.fail_first:
        raise RetryableError(
            f"flaky_echo: attempt {ctx.attempt} fails on purpose (fail_first={params.fail_first})",
            kind=params.error_kind,
        )
    if params.failure_probability and random.random() < params.failure_probability:
        raise RetryableError(
            f"flaky_echo: random failure (p={params.failure_probability})", kind=params.error_kind
        )
    return {**(params.model_extra or {}), "attempt": ctx.attempt}


class SleepParams(BaseModel):
    seconds: float = Field(ge=0, le=3600)


@registry.register("sleep", SleepParams)
def sleep(params: SleepParams, ctx: HandlerContext) -> dict[str, float]:
    """Sleeps, then returns how long."""
    time.sleep(params.seconds)
    return {"slept": params.seconds}


class FailParams(BaseModel):
    message: str = "failed on purpose"
    kind: str = "failed_on_purpose"


@registry.register("fail", FailParams)
def fail(params: FailParams, ctx: HandlerContext) -> None:
    """Always fails, non-retryably."""
    raise NonRetryableError(params.message, kind=params.kind)


class CheckpointCounterParams(BaseModel):
    steps: int = Field(ge=1, le=100_000)
    step_seconds: float = Field(default=0.0, ge=0)


@registry.register("checkpoint_counter", CheckpointCounterParams)
def checkpoint_counter(params: CheckpointCounterParams, ctx: HandlerContext) -> dict[str, int]:
    """Counts to ``steps``, saving a checkpoint after each; resumes from the last one."""
    start = int((ctx.checkpoint or {}).get("next_step", 0))
    for step in range(start, params.steps):
        time.sleep(params.step_seconds)
        ctx.save_checkpoint({"next_step": step + 1})
        ctx.report_progress(100 * (step + 1) / params.steps, f"step {step + 1}/{params.steps}")
    return {"steps": params.steps, "resumed_from": start}


class MakeItemsParams(BaseModel):
    count: int = Field(ge=0, le=1_000_000)
    padding: int = Field(default=0, ge=0, le=10_000, description="filler characters per item")


@registry.register("make_items", MakeItemsParams)
def make_items(params: MakeItemsParams, ctx: HandlerContext) -> dict[str, Any]:
    """A list of ``count`` items (``index``, ``name``, ``filler``) and its length: an output as
    large as asked, e.g. to plan a fan-out over more than the large-output limit."""
    items = [
        {"index": i, "name": f"item-{i}", "filler": "x" * params.padding}
        for i in range(params.count)
    ]
    return {"count": params.count, "items": items}
