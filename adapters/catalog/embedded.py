"""The embedded PostgreSQL (PyPI ``pgserver``) used when no server is configured.

pgserver runs one real ``postgres`` per data directory, listening on a Unix socket only
(no TCP port). Every process that opens the directory registers its pid in
``pgdata/.handle_pids.json`` under an inter-process file lock; the server is stopped when
the last registered process exits. So the Functions host, the CLI and a test run can share
one data directory: the second process attaches to the running server.

One gap is closed here: a process killed without running its exit hooks (SIGKILL, OOM, a
worker's task process stopped by its parent) stays registered for ever, and the server is
then never stopped. ``start_embedded`` drops the pids of dead processes before registering,
and again when this process exits (just before pgserver's own exit hook looks), so the last
live process stops the server.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

import psycopg
from psycopg import sql

from adapters.catalog.errors import CatalogUnavailable

DATABASE = "dagmaster"
_watched: set[Path] = set()
_NOT_INSTALLED = (
    "No DATABASE_URL (nor DAGMASTER_PG_ENTRA=true) is set, and the embedded PostgreSQL "
    "(PyPI pgserver, a development dependency) is not installed. Set DATABASE_URL, or "
    "install requirements-dev.txt to use the embedded server under DAGMASTER_DATA_DIR."
)


def _pgserver() -> ModuleType:
    """The pgserver module, imported only when the embedded server is actually wanted."""
    try:
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers); its fallback is fine.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError as exc:
        raise CatalogUnavailable(_NOT_INSTALLED) from exc
    return pgserver


def _drop_dead_handles(pgdata: Path) -> None:
    """Forget registered processes that no longer exist (under pgserver's own lock)."""
    import psutil  # comes with pgserver

    pgserver = _pgserver()
    handles = pgdata / ".handle_pids.json"
    with pgserver.PostgresServer._lock:
        if not handles.exists():
            return
        pids = json.loads(handles.read_text() or "[]")
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def start_embedded(pgdata: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or attach to) the server for ``pgdata`` and return the URL of its ``postgres`` db.

    Creates the directory and runs ``initdb`` the first time. The server stays up while any
    process that called this is alive. ``delete_on_exit`` removes the data directory when the
    last such process exits (tests).
    """
    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pgserver = _pgserver()
    # pgserver checks for the directory and then creates it: two processes starting on a new
    # directory at once both see it missing and the second fails. One at a time per folder.
    with (pgdata.parent / f".{pgdata.name}.start-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_locked(pgserver, pgdata, delete_on_exit)


def _start_locked(pgserver: ModuleType, pgdata: Path, delete_on_exit: bool) -> str:
    if pgdata.exists():
        _drop_dead_handles(pgdata)
    instances = pgserver.PostgresServer._instances
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete" if delete_on_exit else "stop")
        if pgdata not in _watched:  # exit hooks run last first: this one before pgserver's
            _watched.add(pgdata)
            atexit.register(_drop_dead_handles, pgdata)
        return str(server.get_uri())
    except (OSError, subprocess.SubprocessError, AssertionError) as exc:
        # pgserver keeps its instance from before the start (pg_ctl's 10 s can pass on a
        # loaded machine) and hands that dead one back for ever after: forget it, so the
        # next call starts the server again.
        failed = instances.pop(pgdata, None)
        if failed is not None:
            atexit.unregister(failed._cleanup)
        raise CatalogUnavailable(
            f"Cannot start the embedded PostgreSQL in {pgdata} (DAGMASTER_DATA_DIR): {exc}. "
            f"Its log is {pgdata / 'log'}."
        ) from exc


def stop_embedded(pgdata: Path) -> None:
    """Drop this process's handle; stops the server if no other live process holds one."""
    pgdata = pgdata.expanduser().resolve()
    server = _pgserver().PostgresServer._instances.get(pgdata)
    if server is not None:
        server.cleanup()


def ensure_database(admin_url: str, name: str = DATABASE) -> str:
    """Create database ``name`` unless it exists (race-safe) and return its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            # Another process may create it between our check and our CREATE.
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url(admin_url, name)


def database_url(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    params["dbname"] = name
    return psycopg.conninfo.make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def embedded_url(pgdata: Path) -> str:
    """The URL of the ``dagmaster`` database on the embedded server, starting it if needed."""
    return ensure_database(start_embedded(pgdata))
