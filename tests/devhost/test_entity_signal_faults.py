"""The client-signal test knob (`DEVHOST_CLIENT_SIGNAL_FAULTS`): client signals delivered
twice and out of order, as Azure may; orchestration calls stay exactly-once and ordered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config import SettingsError
from config.settings import DevhostEnvSettings
from devhost.engine.signal_faults import SignalFaults
from devhost.testing import RunningDevhost, run_devhost
from tests.devhost.conftest import APP_DIR, WEBHOOKS, Driver
from tests.support.polling import wait_until


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    data_dir = tmp_path_factory.mktemp("devhost-faults")
    env = {"DEVHOST_CLIENT_SIGNAL_FAULTS": "duplicate,reorder"}
    host: RunningDevhost
    with run_devhost(APP_DIR, data_dir, env=env) as host:
        driver = Driver(host, data_dir)
        yield driver
        driver.http.close()


def _journal(driver: Driver, key: str, length: int) -> list[object]:
    def entries() -> list[object] | None:
        response = driver.http.get(f"{WEBHOOKS}/entities/journal/{key}")
        if response.status_code == 200 and len(response.json()) >= length:
            return list(response.json())
        return None

    found = wait_until(entries, 15, f"{length} entries in journal/{key}")
    return found


def test_unknown_fault_name_is_refused_naming_it() -> None:
    with pytest.raises(SettingsError, match=r"DEVHOST_CLIENT_SIGNAL_FAULTS.*'dupe'"):
        DevhostEnvSettings.from_env({"DEVHOST_CLIENT_SIGNAL_FAULTS": "duplicate,dupe"})


def test_fault_names_combine() -> None:
    settings = DevhostEnvSettings.from_env({"DEVHOST_CLIENT_SIGNAL_FAULTS": " duplicate,REORDER"})
    faults = SignalFaults.from_settings(settings)
    assert (faults.duplicate, faults.reorder) == (True, True)
    assert not SignalFaults.from_settings(DevhostEnvSettings.from_env({})).active


@pytest.mark.slow
def test_client_signals_arrive_twice_and_newest_first(faulty: Driver) -> None:
    for entry in ("1", "2", "3"):
        url = f"{WEBHOOKS}/entities/journal/chaos?op=append"
        assert faulty.http.post(url, json=f'"{entry}"').status_code == 202
    assert _journal(faulty, "chaos", 6) == ["3", "3", "2", "2", "1", "1"]
    assert "test knob: client signals to entities are duplicated and reordered" in (
        faulty.host.log_text()
    )


@pytest.mark.slow
def test_orchestration_calls_are_neither_doubled_nor_reordered(faulty: Driver) -> None:
    spec = {"entity": "Journal", "key": "calm", "ops": [["append", "a"], ["append", "b"]]}
    status = faulty.wait(faulty.start("entity_script", spec))
    assert status["output"] == [{"ok": 1}, {"ok": 2}]
    assert _journal(faulty, "calm", 2) == ["a", "b"]
