"""`python -m devhost start [--app-dir DIR] [--port 7071] [--data-dir DIR] [--require-keys]
[--verbose]`. `main(argv)` returns the exit code, so the command can be mounted elsewhere
(e.g. as `dagmaster dev`)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from devhost.logs import configure

if TYPE_CHECKING:
    from devhost.settings import DevhostSettings

log = logging.getLogger("devhost")


class PortInUse(OSError):
    """The port devhost was asked to serve on is taken."""


def parser(start_prog: str = "devhost start") -> argparse.ArgumentParser:
    """The command line; ``start_prog`` is how usage lines name the start command."""
    root = argparse.ArgumentParser(prog="devhost", description="Local Durable Functions host.")
    commands = root.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "start",
        prog=start_prog,
        help="serve a v2 Python Functions app",
        description="Serve a v2 Python Functions app: HTTP triggers, the Durable HTTP API, "
        "orchestrations, activities, entities and timers. State (instances, history, the "
        "local keys in keys.json) is kept in --data-dir.",
    )
    start.add_argument(
        "--app-dir",
        type=Path,
        default=Path.cwd(),
        help="directory holding function_app.py (default: cwd)",
    )
    start.add_argument("--port", type=int, default=7071, help="port on 127.0.0.1 (default: 7071)")
    start.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="state directory (default: <app-dir>/.dagmaster/devhost)",
    )
    start.add_argument(
        "--require-keys",
        action="store_true",
        help="enforce authLevel with local keys (kept in <data-dir>/keys.json, never logged)",
    )
    start.add_argument("--verbose", action="store_true", help="log histories and debug detail")
    start.add_argument(
        "--principal",
        default=None,
        help="act as App Service Authentication signed in as this user: every HTTP request "
        "gets X-MS-CLIENT-PRINCIPAL-NAME (default: requests pass the header through)",
    )
    return root


def main(argv: list[str] | None = None, start_prog: str = "devhost start") -> int:
    args = parser(start_prog).parse_args(argv)
    configure(args.verbose)
    return start(args)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, bound before anything says ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                exc.errno,
                f"port {port} on {host} is already in use (another devhost or `func start`?); "
                "stop it or pass --port",
            ) from None
        raise
    sock.listen(2048)
    return sock


def start(args: argparse.Namespace) -> int:
    # Imports are deferred so `--help` stays fast and the app is imported after settings.
    from devhost.app_loader import load_local_settings
    from devhost.settings import DevhostSettings, HostJson, HostJsonError

    app_dir = args.app_dir.resolve()
    applied = load_local_settings(app_dir, os.environ)
    if applied:
        log.info("local.settings.json: set %s", ", ".join(sorted(applied)))
    try:
        host_json = HostJson.read(app_dir)
    except HostJsonError as exc:
        log.error("%s", exc)
        return 2
    settings = DevhostSettings(
        app_dir=app_dir,
        data_dir=(args.data_dir or app_dir / ".dagmaster" / "devhost").resolve(),
        port=args.port,
        require_keys=args.require_keys,
        verbose=args.verbose,
        principal=args.principal,
        host_json=host_json,
    )
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        log.error("devhost cannot listen: %s", exc.strerror or exc)
        return 1
    with sock:
        return _serve(settings, sock)


def _serve(settings: DevhostSettings, sock: socket.socket) -> int:
    import uvicorn

    from devhost.app_loader import AppLoadError, load_app
    from devhost.engine.core import Engine
    from devhost.http.app import build_app
    from devhost.keys import HostKeys, keys_path

    try:
        index = load_app(settings.app_dir)
    except AppLoadError as exc:
        log.error("%s", exc)
        return 2
    # The host's own name, as Azure and Core Tools set it: the app builds its links from it.
    os.environ["WEBSITE_HOSTNAME"] = f"{settings.host}:{settings.port}"
    keys = HostKeys.load_or_create(settings.data_dir)
    log.info("state (instances, history, keys.json) in %s", settings.data_dir)
    if settings.require_keys:
        log.info(
            "keys required: the master, function and system keys are in %s",
            keys_path(settings.data_dir),
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
    # uvicorn re-raises the signal that stopped it once it has shut down; SIGTERM's default
    # action would then end the process without running exit hooks (which stop, e.g., an
    # embedded PostgreSQL the app started), and SIGINT's prints a traceback: exit normally.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _exit_on_signal)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
