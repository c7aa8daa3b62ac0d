"""Who may reach what on devhost: the Durable management API only with the system key (no
keyless second path), keys kept out of logs and readable by their owner only, links built
from devhost's own origin, a taken port and a malformed host.json reported plainly."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from container_worker.callback import CallbackKeyRefused, CallbackSettings, EventCallback
from devhost.cli import main
from devhost.keys import HostKeys
from devhost.settings import HostJson, HostJsonError
from devhost.testing import RunningDevhost, free_port
from tests.devhost.conftest import WEBHOOKS

REPO = Path(__file__).resolve().parents[2]

# Every route of the Durable HTTP API (as on Azure), with a method it answers.
MANAGEMENT_ROUTES = [
    ("POST", "/orchestrators/chain"),
    ("POST", "/orchestrators/chain/some-id"),
    ("GET", "/instances"),
    ("GET", "/instances/"),
    ("DELETE", "/instances?createdTimeFrom=2020-01-01T00:00:00Z"),
    ("GET", "/instances/some-id"),
    ("DELETE", "/instances/some-id"),
    ("POST", "/instances/some-id/raiseEvent/approval"),
    ("POST", "/instances/some-id/terminate"),
    ("POST", "/instances/some-id/suspend"),
    ("POST", "/instances/some-id/resume"),
    ("POST", "/instances/some-id/restart"),
    ("POST", "/instances/some-id/rewind"),
    ("GET", "/entities"),
    ("GET", "/entities/"),
    ("GET", "/entities/counter"),
    ("GET", "/entities/counter/k"),
    ("POST", "/entities/counter/k?op=add"),
    ("POST", "/entities/counter?op=add"),
    ("DELETE", "/entities/counter/k"),
    ("DELETE", "/entities/counter"),
]


def _call(host: RunningDevhost, method: str, path: str, key: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["x-functions-key"] = key
    return httpx.request(method, host.base_url + path, headers=headers, content=b"1")


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), MANAGEMENT_ROUTES)
def test_management_route_needs_the_system_key(
    keyed_host: RunningDevhost, method: str, path: str
) -> None:
    keys = keyed_host.keys()
    assert _call(keyed_host, method, WEBHOOKS + path, None).status_code == 401
    assert _call(keyed_host, method, WEBHOOKS + path, keys["function_default"]).status_code == 401
    assert _call(keyed_host, method, WEBHOOKS + path, keys["durable_system"]).status_code != 401


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), MANAGEMENT_ROUTES)
def test_management_api_has_no_keyless_second_path(
    keyed_host: RunningDevhost, method: str, path: str
) -> None:
    assert _call(keyed_host, method, "/durabletask" + path, None).status_code == 404


@pytest.mark.slow
def test_sdk_client_still_starts_signals_and_terminates_with_keys_required(
    keyed_host: RunningDevhost,
) -> None:
    system = {"code": keyed_host.keys()["durable_system"]}
    started = httpx.post(f"{keyed_host.base_url}/api/start/waits_forever")
    assert started.status_code == 202, started.text
    instance_id = started.json()["id"]
    terminated = httpx.post(f"{keyed_host.base_url}/api/manage/terminate/{instance_id}")
    assert terminated.status_code == 202, terminated.text
    deadline = time.monotonic() + 10
    while True:
        status = httpx.get(
            f"{keyed_host.base_url}{WEBHOOKS}/instances/{instance_id}", params=system
        )
        if status.json()["runtimeStatus"] == "Terminated":
            break
        assert time.monotonic() < deadline, status.text
        time.sleep(0.05)
    entity_url = f"{keyed_host.base_url}/api/entity/counter/access"
    assert httpx.post(entity_url, params={"op": "add"}, json=2).status_code == 202
    assert httpx.get(entity_url).status_code == 200


@pytest.mark.slow
def test_keys_stay_out_of_the_log_which_says_where_they_are(keyed_host: RunningDevhost) -> None:
    log = keyed_host.log_text()
    for value in keyed_host.keys().values():
        assert value not in log
    assert str(keyed_host.data_dir / "keys.json") in log


def test_keys_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    HostKeys.load_or_create(tmp_path)
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600


def test_an_existing_world_readable_keys_file_is_tightened(tmp_path: Path) -> None:
    keys = HostKeys.load_or_create(tmp_path)
    (tmp_path / "keys.json").chmod(0o644)
    assert HostKeys.load_or_create(tmp_path) == keys
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600


@pytest.mark.slow
def test_status_links_ignore_the_request_host_header(keyed_host: RunningDevhost) -> None:
    system = keyed_host.keys()["durable_system"]
    evil = {"Host": "evil.example", "x-functions-key": system}
    started = httpx.post(
        f"{keyed_host.base_url}{WEBHOOKS}/orchestrators/waits_forever", headers=evil
    )
    assert started.status_code == 202
    assert started.headers["Location"].startswith(keyed_host.base_url + WEBHOOKS)
    assert all(
        url.startswith(keyed_host.base_url) for k, url in started.json().items() if k != "id"
    )
    instance_id = started.json()["id"]
    running = httpx.get(f"{keyed_host.base_url}{WEBHOOKS}/instances/{instance_id}", headers=evil)
    assert running.status_code == 202
    assert running.headers["Location"].startswith(keyed_host.base_url + WEBHOOKS)
    httpx.post(f"{keyed_host.base_url}{WEBHOOKS}/instances/{instance_id}/terminate", headers=evil)


def test_a_taken_port_exits_with_a_message_naming_it(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        command = ["start", "--app-dir", str(tmp_path), "--data-dir", str(tmp_path / "data")]
        result = subprocess.run(
            [sys.executable, "-m", "devhost", *command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "devhost ready" not in result.stderr


def test_malformed_host_json_names_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "host.json").write_text('{\n  "version": "2.0",\n  "extensions": {,}\n}\n')
    assert main(["start", "--app-dir", str(tmp_path), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "host.json: line 3 column 18: Expecting property name enclosed in double quotes" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_worker_key_check_accepts_only_the_system_key(keyed_host: RunningDevhost) -> None:
    keys = keyed_host.keys()

    def check(key: str | None) -> None:
        callback = EventCallback(CallbackSettings(base_url=keyed_host.base_url, system_key=key))
        try:
            callback.check_key()
        finally:
            callback.close()

    check(keys["durable_system"])
    for wrong in (None, "wrong", keys["function_default"]):
        with pytest.raises(CallbackKeyRefused, match="DAGMASTER_DURABLE_SYSTEM_KEY"):
            check(wrong)


@pytest.mark.slow
def test_worker_with_a_refused_key_exits_at_start_up(keyed_host: RunningDevhost) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DAGMASTER_TASK_QUEUE": "storage",
        "DAGMASTER_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
        "DAGMASTER_DURABLE_BASE_URL": keyed_host.base_url,
        "DAGMASTER_DURABLE_SYSTEM_KEY": "not-the-key",
    }
    result = subprocess.run(
        [sys.executable, "-m", "container_worker"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"the Durable API at {keyed_host.base_url} refused the key given (HTTP 401)" in (
        result.stderr
    )


def test_a_host_json_value_of_the_wrong_type_names_its_key(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(
        '{"extensions": {"durableTask": {"maxConcurrentActivityFunctions": "many"}}}'
    )
    with pytest.raises(HostJsonError, match=r"^host.json: extensions.durableTask."):
        HostJson.read(tmp_path)
