"""`python -m devhost start [--app-dir DIR] [--port 7071] [--data-dir DIR] [--require-keys]
[--verbose]`. `main(argv)` returns the exit code, so the command can be mounted elsewhere
(e.g. as `dagmaster dev`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from devhost.logs import configure

log = logging.getLogger("devhost")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="devhost", description="Local Durable Functions host.")
    commands = root.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="serve a v2 Python Functions app")
    start.add_argument(
        "--app-dir",
        type=Path,
        default=Path.cwd(),
        help="directory holding function_app.py (default: cwd)",
    )
    start.add_argument("--port", type=int, default=7071)
    start.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="state directory (default: <app-dir>/.dagmaster/devhost)",
    )
    start.add_argument(
        "--require-keys", action="store_true", help="enforce authLevel with local keys"
    )
    start.add_argument("--verbose", action="store_true", help="log histories and debug detail")
    start.add_argument(
        "--principal",
        default=None,
        help="act as App Service Authentication signed in as this user: every HTTP request "
        "gets X-MS-CLIENT-PRINCIPAL-NAME (default: requests pass the header through)",
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure(args.verbose)
    return start(args)


def start(args: argparse.Namespace) -> int:
    # Imports are deferred so `--help` stays fast and the app is imported after settings.
    import uvicorn

    from devhost.app_loader import AppLoadError, load_app, load_local_settings
    from devhost.engine.core import Engine
    from devhost.http.app import build_app
    from devhost.keys import HostKeys
    from devhost.settings import DevhostSettings, HostJson

    app_dir = args.app_dir.resolve()
    applied = load_local_settings(app_dir, os.environ)  # type: ignore[arg-type]
    if applied:
        log.info("local.settings.json: set %s", ", ".join(sorted(applied)))
    settings = DevhostSettings(
        app_dir=app_dir,
        data_dir=(args.data_dir or app_dir / ".dagmaster" / "devhost").resolve(),
        port=args.port,
        require_keys=args.require_keys,
        verbose=args.verbose,
        principal=args.principal,
        host_json=HostJson.read(app_dir),
    )
    try:
        index = load_app(app_dir)
    except AppLoadError as exc:
        log.error("%s", exc)
        return 2
    keys = HostKeys.load_or_create(settings.data_dir)
    if settings.require_keys:
        log.info(
            "keys: master=%s function(default)=%s system(durabletask_extension)=%s",
            keys.master,
            keys.function_default,
            keys.durable_system,
        )
    engine = Engine(settings, index)
    app = build_app(settings, keys, engine)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
