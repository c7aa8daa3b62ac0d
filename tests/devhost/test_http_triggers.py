"""HTTP triggers served like `func start`: routes, parameters, methods, keys, settings."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from devhost.http.routes import compile_route
from devhost.http.triggers import signed_in
from devhost.testing import RunningDevhost, run_devhost
from tests.devhost.conftest import WEBHOOKS, Driver
from tests.support.polling import wait_until


def test_route_template_with_int_constraint_and_optional_segment() -> None:
    route = compile_route("items/{id:int}/{label?}")
    assert route.match("items/12") == {"id": "12"}
    assert route.match("Items/12/big") == {"id": "12", "label": "big"}
    assert route.match("items/twelve") is None
    assert route.match("items/12/big/extra") is None


def test_catch_all_and_default_values() -> None:
    assert compile_route("files/{*path}").match("files/a/b.tif") == {"path": "a/b.tif"}
    assert compile_route("page/{n=1}").match("page") == {"n": "1"}


@pytest.mark.slow
def test_route_params_query_and_headers_reach_the_function(driver: Driver) -> None:
    response = driver.http.get("/api/items/7/red", params={"q": "x"}, headers={"x-agent": "t"})
    assert response.status_code == 200
    assert response.json() == {"id": 7, "label": "red", "q": "x", "agent": "t"}
    assert driver.http.get("/api/items/seven").status_code == 404


@pytest.mark.slow
def test_method_not_allowed_by_function_is_404(driver: Driver) -> None:
    assert driver.http.post("/api/items/7").status_code == 404


@pytest.mark.slow
def test_response_status_headers_and_body_come_from_http_response(driver: Driver) -> None:
    response = driver.http.post("/api/echo", content=b"raw bytes")
    assert response.status_code == 201
    assert response.content == b"raw bytes"
    assert response.headers["x-echo"] == "yes"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.slow
def test_local_settings_values_are_loaded_into_the_environment(driver: Driver) -> None:
    response = driver.http.get("/api/setting", params={"name": "DEVHOST_SAMPLE_SETTING"})
    assert response.text == "from-local-settings"


@pytest.mark.slow
def test_blocking_function_does_not_block_the_server(driver: Driver) -> None:
    slow: dict[str, float] = {}

    def call_slow() -> None:
        started = time.monotonic()
        httpx.get(f"{driver.host.base_url}/api/block", params={"s": "2"}, timeout=10)
        slow["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=call_slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert driver.http.get("/admin/host/status").status_code == 200
    assert driver.http.get("/api/items/1").status_code == 200
    assert time.monotonic() - started < 1.0
    thread.join()
    assert slow["seconds"] >= 2


@pytest.mark.slow
def test_require_keys_enforces_auth_levels(keyed_host: RunningDevhost) -> None:
    keys = keyed_host.keys()
    base = keyed_host.base_url
    assert httpx.get(f"{base}/api/items/1").status_code == 200  # anonymous
    assert httpx.get(f"{base}/api/keyed").status_code == 401
    function_key = {"code": keys["function_default"]}
    assert httpx.get(f"{base}/api/keyed", params=function_key).text == "secret"
    with_header = httpx.get(f"{base}/api/keyed", headers={"x-functions-key": keys["master"]})
    assert with_header.status_code == 200
    assert (
        httpx.get(f"{base}/api/admin-only", params={"code": keys["function_default"]}).status_code
        == 401
    )
    assert httpx.get(f"{base}/api/admin-only", params={"code": keys["master"]}).text == "root"
    assert httpx.get(f"{base}{WEBHOOKS}/instances").status_code == 401
    assert (
        httpx.get(
            f"{base}{WEBHOOKS}/instances", params={"code": keys["durable_system"]}
        ).status_code
        == 200
    )


@pytest.mark.slow
def test_client_urls_carry_the_system_key_when_keys_are_required(
    keyed_host: RunningDevhost,
) -> None:
    response = httpx.post(f"{keyed_host.base_url}/api/start/chain")
    assert response.status_code == 202
    status_url = response.json()["statusQueryGetUri"]
    assert f"code={keyed_host.keys()['durable_system']}" in status_url
    status = wait_until(
        lambda: (r := httpx.get(status_url)).status_code != 202 and r, 10, "the orchestration"
    )
    assert status.json()["runtimeStatus"] == "Completed"
    # --verbose logs each history sent to the SDK.
    assert f'history of {response.json()["id"]} sent to the SDK: {{"history":[' in (
        keyed_host.log_text()
    )


def test_missing_function_app_exits_with_clear_error(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match=r"No function_app.py"),
        run_devhost(tmp_path, tmp_path / "data"),
    ):
        pass


def test_a_configured_principal_replaces_whatever_the_caller_claims() -> None:
    claimed = {"X-MS-CLIENT-PRINCIPAL-NAME": "mallory", "x-ms-client-principal-id": "1", "a": "b"}
    assert signed_in(claimed, "ana") == {"a": "b", "x-ms-client-principal-name": "ana"}
    assert signed_in(claimed, None) == claimed
