import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import httpx
import psycopg
import pytest

from adapters.catalog.embedded import start_embedded
from devhost.testing import run_devhost
from tests.support.polling import wait_until
from tests.support.postgres import REPO

STARTED = "SELECT extract(epoch FROM pg_postmaster_start_time())"
# Opens the catalog on the embedded server under argv[1] and prints that server's start time.
OPEN_AND_REPORT = textwrap.dedent(
    f"""
    import sys
    from adapters.catalog.connection import open_pool
    from config.settings import CatalogSettings
    with open_pool(CatalogSettings(DAGMASTER_DATA_DIR=sys.argv[1])) as pool:
        with pool.connection() as conn:
            print(conn.execute({STARTED!r}).fetchone()[0], flush=True)
        sys.stdin.readline()  # hold the server until told to go
    """
)


def open_in_child(data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_REPORT, str(data_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(child: subprocess.Popen) -> str:
    out, err = child.communicate("\n", timeout=60)
    assert child.returncode == 0, err
    return out.strip()


def test_second_process_shares_the_embedded_server_and_leaves_it_running(embedded_pg):
    with psycopg.connect(embedded_pg.admin_url) as conn:
        started = conn.execute(STARTED).fetchone()[0]
    assert finish(open_in_child(embedded_pg.data_dir)) == str(started)  # same server
    with psycopg.connect(embedded_pg.admin_url) as conn:  # still up after the child exited
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.slow
def test_two_processes_starting_on_a_new_data_dir_share_one_server():
    with tempfile.TemporaryDirectory(prefix="dagmaster-pg-") as data_dir:
        children = [open_in_child(Path(data_dir)) for _ in range(2)]
        # both hold the server until both have reported, however the two start-ups interleave
        started = {child.stdout.readline().strip() for child in children}
        for child in children:
            finish(child)
        stopped = not (Path(data_dir) / "pgdata" / "postmaster.pid").exists()
    assert len(started) == 1
    assert stopped  # by the last process to exit


def test_processes_that_died_without_cleanup_are_forgotten(embedded_pg):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    handles = embedded_pg.data_dir / "pgdata" / ".handle_pids.json"
    handles.write_text(json.dumps([*json.loads(handles.read_text()), int(dead.stdout)]))
    start_embedded(embedded_pg.data_dir / "pgdata")
    assert int(dead.stdout) not in json.loads(handles.read_text())


@pytest.mark.slow
def test_devhost_stopped_by_sigterm_stops_the_embedded_server_the_app_started(tmp_path):
    """Also when a process that shared the server died without its exit hooks (as a
    worker's killed task process does): its registration must not keep the server up."""
    env = {"DATABASE_URL": "", "DAGMASTER_DATA_DIR": str(tmp_path / "data")}
    with run_devhost(REPO, tmp_path / "devhost", env=env) as host:
        last: list[str] = []

        def catalog_ready() -> bool:
            answer = httpx.get(f"{host.base_url}/api/readyz", timeout=10)
            last[:] = [answer.text]
            return bool(answer.json()["checks"]["database"]["ok"])

        wait_until(
            catalog_ready,
            120,
            lambda: f"the embedded catalog: {last}\n{host.log_text()[-3000:]}",
        )
        postmaster = tmp_path / "data" / "pgdata" / "postmaster.pid"
        assert postmaster.exists()
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        handles = tmp_path / "data" / "pgdata" / ".handle_pids.json"
        handles.write_text(json.dumps([*json.loads(handles.read_text()), int(dead.stdout)]))
    assert not postmaster.exists()


@pytest.mark.slow
def test_a_start_that_timed_out_is_tried_again_on_the_next_call(tmp_path, monkeypatch):
    """pg_ctl gives up after 10 s on a loaded machine: the next call must start the server,
    not get pgserver's dead instance back (an AssertionError on every call after)."""
    import pgserver.postgres_server as server_module

    from adapters.catalog.embedded import stop_embedded
    from adapters.catalog.errors import CatalogUnavailable

    real_pg_ctl, calls = server_module.pg_ctl, []

    def pg_ctl_timing_out_once(args, **kwargs):
        calls.append(args[-1])
        if calls == ["start"]:
            raise subprocess.TimeoutExpired("pg_ctl", 10)
        return real_pg_ctl(args, **kwargs)

    monkeypatch.setattr(server_module, "pg_ctl", pg_ctl_timing_out_once)
    pgdata = tmp_path / "pgdata"
    with pytest.raises(CatalogUnavailable, match="Cannot start the embedded PostgreSQL"):
        start_embedded(pgdata)
    url = start_embedded(pgdata)
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        stop_embedded(pgdata)
    assert not (pgdata / "postmaster.pid").exists()
