"""Fixtures for the devhost conformance suite: one shared devhost process running the
SDK-feature test app (tests/devhost_app), and a driver that talks to it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devhost.testing import RunningDevhost, run_devhost
from tests.support.polling import wait_until

APP_DIR = Path(__file__).resolve().parent.parent / "devhost_app"
WEBHOOKS = "/runtime/webhooks/durabletask"
FINAL = {"Completed", "Failed", "Terminated", "Canceled"}


class Driver:
    """Starts orchestrations through the test app's HTTP starters (the real client) and
    reads status through the Durable HTTP API."""

    def __init__(self, host: RunningDevhost, out_dir: Path) -> None:
        self.host = host
        self.out_dir = out_dir
        self.http = httpx.Client(base_url=host.base_url, timeout=30)

    def start(self, name: str, payload: Any = None, instance_id: str | None = None) -> str:
        path = f"/api/start/{name}" + (f"/{instance_id}" if instance_id else "")
        response = self.http.post(path, json=payload)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def status(self, instance_id: str, **params: str) -> httpx.Response:
        return self.http.get(f"{WEBHOOKS}/instances/{instance_id}", params=params)

    def wait(
        self, instance_id: str, timeout: float = 30, until: set[str] = FINAL, **params: str
    ) -> dict[str, Any]:

        def reached() -> dict[str, Any] | None:
            response = self.status(instance_id, **params)
            if response.status_code == 404 or response.json()["runtimeStatus"] not in until:
                return None
            return dict(response.json())

        return wait_until(
            reached,
            timeout,
            lambda: (
                f"{instance_id} in {until}: {self.status(instance_id).text}\n"
                f"{self.host.log_text()[-3000:]}"
            ),
        )

    def run(self, name: str, payload: Any = None, timeout: float = 30) -> dict[str, Any]:
        return self.wait(self.start(name, payload), timeout)

    def raise_event(self, instance_id: str, event: str, data: Any) -> httpx.Response:
        return self.http.post(f"{WEBHOOKS}/instances/{instance_id}/raiseEvent/{event}", json=data)


@pytest.fixture(scope="session")
def devhost_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devhost-out")


@pytest.fixture(scope="session")
def shared_host(
    tmp_path_factory: pytest.TempPathFactory, devhost_out: Path
) -> Iterator[RunningDevhost]:
    data_dir = tmp_path_factory.mktemp("devhost-data")
    with run_devhost(APP_DIR, data_dir, env={"DEVHOST_TEST_OUT": str(devhost_out)}) as host:
        yield host


@pytest.fixture(scope="session")
def driver(shared_host: RunningDevhost, devhost_out: Path) -> Iterator[Driver]:
    drv = Driver(shared_host, devhost_out)
    yield drv
    drv.http.close()


@pytest.fixture(scope="session")
def keyed_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevhost]:
    """The test app on a devhost started with `--require-keys --verbose`."""
    data_dir = tmp_path_factory.mktemp("devhost-keys")
    with run_devhost(APP_DIR, data_dir, extra_args=["--require-keys", "--verbose"]) as host:
        yield host
