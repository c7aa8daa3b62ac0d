"""Container workers as real subprocesses, pointed at an engine on devhost."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.engine.support import REPO, Engine


@contextmanager
def run_workers(
    engine: Engine,
    log_dir: Path,
    count: int = 1,
    concurrency: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` workers logging to ``log_dir/worker-<i>.log``; ``env`` adds settings."""
    full_env = {
        **os.environ,
        **engine.env,
        "DAGMASTER_DURABLE_BASE_URL": engine.url,
        "DAGMASTER_WORKER_POLL_SECONDS": "0.2",
        **(env or {}),
    }
    procs = []
    for i in range(count):
        log = (log_dir / f"worker-{i}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "container_worker", "--concurrency", str(concurrency)],
                cwd=REPO,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
