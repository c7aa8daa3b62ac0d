"""Test-only handlers for the engine tests, registered in both the app and the workers
(``DAGMASTER_HANDLERS_MODULES``, see `tests.engine.support.app_env`).

They count what they do in files under a folder named by their params, so a test can tell
which steps ran, how often and in which process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pydantic import BaseModel, Field

from handlers.base import HandlerContext, registry

PAUSED = "paused"  # written after the pause step's checkpoint: the worker's pid
RELEASE = "release"  # the test creates it to end the pause


class PausingStepsParams(BaseModel):
    total: int = Field(ge=1)
    tally_dir: str
    pause_after: int | None = None
    pause_seconds: float = Field(default=60, ge=0)


@registry.register("e2e.pausing_steps", PausingStepsParams)
def pausing_steps(params: PausingStepsParams, ctx: HandlerContext) -> dict[str, int]:
    """Steps 1..total, resuming after the checkpointed step; pauses after ``pause_after``.

    Each step appends its process id to ``<tally_dir>/step-<n>``, then saves the checkpoint
    and reports progress. After step ``pause_after`` it writes the worker's pid to
    ``<tally_dir>/paused`` and waits for ``<tally_dir>/release`` (at most ``pause_seconds``):
    there the test kills the worker, or looks at the progress and releases it.
    """
    tally = Path(params.tally_dir)
    start = int((ctx.checkpoint or {}).get("done", 0))
    for step in range(start + 1, params.total + 1):
        with (tally / f"step-{step}").open("a") as f:
            f.write(f"{os.getpid()}\n")
        ctx.save_checkpoint({"done": step})
        ctx.report_progress(100 * step / params.total, f"step {step} of {params.total}")
        if step == params.pause_after:
            _pause(tally, params.pause_seconds)
    return {"resumed_after": start, "total": params.total}


def _pause(tally: Path, seconds: float) -> None:
    marker = tally / f"{PAUSED}.tmp"
    marker.write_text(str(os.getppid()))  # the supervisor: the task runs in its child
    marker.rename(tally / PAUSED)  # atomic: the test never reads a half-written pid
    deadline = time.monotonic() + seconds
    while not (tally / RELEASE).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
