"""The product app on devhost, with a real Azurite and a real PostgreSQL, for engine tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devhost.testing import RunningDevhost, run_devhost
from tests.support.azurite import Azurite
from tests.support.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
TEST_WORKFLOWS = Path(__file__).resolve().parent / "workflows"
FINAL = {"completed", "failed", "cancelled"}


def app_env(azurite: Azurite, database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "DAGMASTER_TASK_QUEUE": "storage",
        "DAGMASTER_DATA_DIR": str(data_dir),
        "DAGMASTER_WORKFLOWS_DIR": os.pathsep.join([str(REPO / "workflows"), str(TEST_WORKFLOWS)]),
        "DAGMASTER_HANDLERS_MODULES": "tests.engine.e2e_handlers",
        "DAGMASTER_INPUT_CONTAINERS": "raw,vectors-in",
        "DAGMASTER_OUTPUT_CONTAINERS": "cogs,vectors",
    }


@dataclass
class Engine:
    host: RunningDevhost
    env: dict[str, str]
    key: str | None = None  # sent as x-functions-key when devhost requires keys
    # Sent with every call unless the call names them (DAGMASTER_ACCESS=keys: a caller's key).
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.host.base_url

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-functions-key": self.key} if self.key else {}
        headers |= self.headers
        headers |= kwargs.pop("headers", None) or {}
        return httpx.request(method, f"{self.url}{path}", timeout=30, headers=headers, **kwargs)

    def submit(self, workflow_id: str, inputs: dict[str, Any] | None = None, **extra: Any) -> str:
        response = self.call(
            "POST", "/api/jobs", json={"workflow_id": workflow_id, "inputs": inputs or {}, **extra}
        )
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait(
        self, job_id: str, timeout: float = 60, until: set[str] | None = None
    ) -> dict[str, Any]:
        """Poll until the job's catalog status is in ``until`` (default: final)."""
        until = until or FINAL

        def reached() -> dict[str, Any] | None:
            job = self.job(job_id)
            return job if job["status"] in until else None

        return wait_until(
            reached,
            timeout,
            lambda: f"job {job_id} {until}: {self.job(job_id)}\n{self.host.log_text()[-4000:]}",
            interval=0.2,
        )

    def all_pages(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paged listing, following ``next_cursor``."""
        items: list[dict[str, Any]] = []
        params: dict[str, str] = {}
        while True:
            page = self.call("GET", path, params=params).json()
            items += page["items"]
            if page.get("next_cursor") is None:
                return items
            params = {"cursor": page["next_cursor"]}

    def timeline(self, job_id: str) -> list[dict[str, Any]]:
        return self.all_pages(f"/api/jobs/{job_id}/timeline")

    def nodes(self, job_id: str) -> dict[str, dict[str, Any]]:
        return {n["node_id"]: n for n in self.all_pages(f"/api/jobs/{job_id}/nodes")}

    def durable_status(self, job_id: str, history: bool = False) -> dict[str, Any]:
        params = {"showHistory": "true"} if history else {}
        response = self.call(
            "GET", f"/runtime/webhooks/durabletask/instances/{job_id}", params=params
        )
        return dict(response.json())


@contextmanager
def run_engine(
    azurite: Azurite,
    database_url: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    require_keys: bool = False,
) -> Iterator[Engine]:
    """The product app on devhost; ``env`` adds or overrides settings. With ``require_keys``
    devhost enforces keys, and the engine's calls carry the master key."""
    env = {**app_env(azurite, database_url, data_dir), **(env or {})}
    extra_args = ["--require-keys"] if require_keys else None
    with run_devhost(REPO, data_dir / "devhost", env=env, extra_args=extra_args) as host:
        yield Engine(host, env, host.keys()["master"] if require_keys else None)
