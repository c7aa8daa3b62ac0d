"""Run devhost as a real subprocess from tests, demos and benchmarks.

    with run_devhost(app_dir, data_dir) as host:
        httpx.post(f"{host.base_url}/api/orchestrators/hello")
        host.kill()      # SIGKILL, as a crash would
        host.restart()   # same port, same data dir
        print(host.log_text())

Contract: `run_devhost` starts `python -m devhost start ...` on a free port (or `port`),
waits until `GET /admin/host/status` answers 200, and always stops the process on exit.
The process log goes to `<data_dir>/devhost.log` (appended across restarts).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

READY_TIMEOUT_SECONDS = 30.0
# The headless Chromium (Debian's, installed by `make install`) that the console's browser
# tests and its benchmark drive through playwright: never a downloaded browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DevhostError(RuntimeError):
    """The devhost process failed to start or stopped unexpectedly."""


class RunningDevhost:
    """A devhost subprocess; see the module docstring."""

    def __init__(
        self,
        app_dir: Path,
        data_dir: Path,
        port: int,
        env: dict[str, str] | None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.app_dir = Path(app_dir)
        self.data_dir = Path(data_dir)
        self.port = port
        self.env = env or {}
        self.extra_args = extra_args or []
        self.log_path = self.data_dir / "devhost.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def keys(self) -> dict[str, str]:
        """The local keys (master, function_default, durable_system) devhost generated."""
        return dict(json.loads((self.data_dir / "keys.json").read_text(encoding="utf-8")))

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "devhost",
            "start",
            "--app-dir",
            str(self.app_dir),
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            *self.extra_args,
        ]
        env = {**os.environ, **self.env}
        # devhost must be importable even when the app dir is elsewhere.
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.app_dir
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        headers = {}
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise DevhostError(f"devhost exited during start-up:\n{self.log_text()}")
            if "--require-keys" in self.extra_args and (self.data_dir / "keys.json").exists():
                headers = {"x-functions-key": self.keys()["master"]}
            try:
                response = httpx.get(
                    f"{self.base_url}/admin/host/status", headers=headers, timeout=1.0
                )
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise DevhostError(f"devhost not ready after {READY_TIMEOUT_SECONDS}s:\n{self.log_text()}")

    def kill(self) -> None:
        """SIGKILL the process (no clean-up runs, as in a crash)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)

    def stop(self) -> None:
        """Stop cleanly (SIGTERM), falling back to SIGKILL."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        """Kill if still running, then start again on the same port and data dir."""
        self.kill()
        self.start()

    def log_text(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def run_devhost(
    app_dir: Path,
    data_dir: Path,
    port: int | None = None,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> Iterator[RunningDevhost]:
    """Start devhost for `app_dir`, yield it once ready, stop it on exit."""
    host = RunningDevhost(app_dir, data_dir, port or free_port(), env, extra_args)
    host.start()
    try:
        yield host
    finally:
        host.stop()
