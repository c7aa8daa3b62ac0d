"""Entity state and queued operations are durable: a clean restart keeps them, and a
`kill -9` in the middle of a batch neither loses nor doubles an operation."""

from __future__ import annotations

from pathlib import Path

import pytest

from devhost.testing import run_devhost
from tests.devhost.conftest import APP_DIR, WEBHOOKS, Driver
from tests.support.polling import wait_until

pytestmark = pytest.mark.slow


def test_kill_during_a_batch_loses_and_doubles_no_operation_and_state_survives_restart(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with run_devhost(APP_DIR, tmp_path / "data", env={"DEVHOST_TEST_OUT": str(out)}) as host:
        driver = Driver(host, out)
        hold = out / "hold-k9"
        hold.touch()
        ops = [
            ["append", "a"],
            ["slow_append", {"hold": "hold-k9", "entry": "b"}],
            ["append", "c"],
        ]
        caller = driver.start("entity_script", {"entity": "Journal", "key": "k9", "ops": ops})
        started = out / "hold-k9.started"
        wait_until(
            started.exists, 20, lambda: f"the held batch to start: {host.log_text()[-3000:]}"
        )
        # A client signal queued behind the batch that is running.
        signal = driver.http.post(f"{WEBHOOKS}/entities/journal/k9?op=append", json='"d"')
        assert signal.status_code == 202

        host.kill()
        hold.unlink()
        host.start()

        status = driver.wait(caller)
        assert status["output"] == [{"ok": 1}, {"ok": 2}, {"ok": 4}]
        assert driver.http.get(f"{WEBHOOKS}/entities/journal/k9").json() == ["a", "b", "d", "c"]
        # The interrupted batch ran again from the state committed before it.
        assert (out / "hold-k9.started").read_text().split() == ["b", "b"]

        host.stop()
        host.start()
        assert driver.http.get(f"{WEBHOOKS}/entities/journal/k9").json() == ["a", "b", "d", "c"]
        listed = driver.http.get(f"{WEBHOOKS}/entities/journal").json()
        assert [e["entityId"]["key"] for e in listed] == ["k9"]
