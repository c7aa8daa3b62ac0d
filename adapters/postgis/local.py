"""A throwaway PostGIS cluster for tests and the demo: Debian's PostgreSQL 15 with PostGIS 3.

The catalog's embedded PostgreSQL (PyPI ``pgserver``) has no PostGIS, so vector tables need a
server of their own locally. ``start_local_postgis`` runs ``initdb`` once in a data directory
(as the ``postgres`` system user when we are root, since PostgreSQL refuses to run as root),
starts the server on a free loopback port with trust authentication and creates the
``postgis`` extension. ``stop`` shuts it down; the data directory stays for the next start.

The binaries come from the Debian packages ``postgresql-15`` and ``postgresql-15-postgis-3``
(the Makefile installs them). On Azure the vector tables live in Azure Database for
PostgreSQL with the PostGIS extension instead; nothing here runs there.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from config.settings import PostgisSettings

PG_BIN = PostgisSettings.from_env().pg_bin
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
SYSTEM_USER = "postgres"


class LocalPostgisUnavailable(RuntimeError):
    """Debian's PostgreSQL 15 or PostGIS is not installed here (`make install` installs them)."""


@dataclass(frozen=True)
class LocalPostgis:
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        _run([str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"])


def local_postgis_available() -> bool:
    return (PG_BIN / "initdb").exists() and POSTGIS_CONTROL.exists()


def start_local_postgis(data_dir: Path) -> LocalPostgis:
    """Start (initialising if needed) a PostGIS cluster in ``data_dir``; see the module doc."""
    if not local_postgis_available():
        raise LocalPostgisUnavailable(
            f"no PostgreSQL 15 with PostGIS at {PG_BIN} (install the Debian packages "
            "postgresql-15 and postgresql-15-postgis-3, or set DAGMASTER_POSTGIS_URL)"
        )
    data_dir = data_dir.resolve()
    if not (data_dir / "PG_VERSION").exists():
        _initdb(data_dir)
    _stop_stale(data_dir)
    port = _free_port()
    _run(
        [
            str(PG_BIN / "pg_ctl"),
            "start",
            "-D",
            str(data_dir),
            "-w",
            "-l",
            str(data_dir / "server.log"),
            "-o",
            f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off",
        ]
    )
    server = LocalPostgis(data_dir, port)
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return server


def _initdb(data_dir: Path) -> None:
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if os.geteuid() == 0:
        user = pwd.getpwnam(SYSTEM_USER)
        os.chown(data_dir, user.pw_uid, user.pw_gid)
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ]
    )


def _stop_stale(data_dir: Path) -> None:
    """A server left running by a killed process would hold the data directory."""
    if (data_dir / "postmaster.pid").exists():
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "immediate"]),
            capture_output=True,
            check=False,
        )


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_owner(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr.strip() or done.stdout}")


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", SYSTEM_USER, "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
