"""``python -m container_worker [--concurrency N] [--queue NAME] [--handlers-module M ...]``

Settings come from the environment (`config.settings.WorkerSettings`); the options override them.
SIGTERM or SIGINT stops the worker cleanly: checkpoints saved, held messages abandoned (so
they are redelivered), exit code 0. A missing setting exits with code 2 and names it.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from config.settings import SettingsError, WorkerSettings
from container_worker.logs import configure_logging
from container_worker.worker import Worker

app = typer.Typer(add_completion=False)


@app.command()
def main(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Tasks at a time, one process each.")
    ] = None,
    queue: Annotated[str | None, typer.Option(help="Queue name (overrides the setting).")] = None,
    handlers_module: Annotated[
        list[str] | None,
        typer.Option(help="Module that registers handlers; repeat for several."),
    ] = None,
) -> None:
    """Run the heavy-task worker until SIGTERM."""
    configure_logging()
    try:
        settings = _settings(concurrency, queue, handlers_module)
        worker = Worker.from_settings(settings)
    except SettingsError as exc:
        typer.echo(f"container_worker: {exc}", err=True)
        raise typer.Exit(2) from None
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker.run(stop)


def _settings(
    concurrency: int | None, queue: str | None, modules: list[str] | None
) -> WorkerSettings:
    settings = WorkerSettings.from_env()
    updates: dict[str, object] = {}
    if concurrency is not None:
        updates["concurrency"] = concurrency
    if modules:
        updates["handlers_modules"] = tuple(modules)
    if queue is not None:
        updates["queue"] = settings.queue.model_copy(update={"queue_name": queue})
    return settings.model_copy(update=updates)


if __name__ == "__main__":  # the guard matters: spawned task processes import this module
    app()
