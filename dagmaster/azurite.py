"""Starts a real Azurite (npm package, installed by the Makefile) for the demo and tests."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from config.settings import CatalogSettings

REPO = Path(__file__).resolve().parents[1]
ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class Azurite:
    blob_port: int
    queue_port: int
    table_port: int

    @property
    def connection_string(self) -> str:
        host = "http://127.0.0.1"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={host}:{self.blob_port}/{ACCOUNT};"
            f"QueueEndpoint={host}:{self.queue_port}/{ACCOUNT};"
            f"TableEndpoint={host}:{self.table_port}/{ACCOUNT};"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"Azurite did not open port {port}")


def azurite_binary() -> str:
    local = REPO / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found is None:
        raise RuntimeError("Azurite is not installed: run `make install` (npm ci) first")
    return found


def _scratch() -> str:
    catalog = CatalogSettings.from_env()
    data_dir = catalog.data_dir if "data_dir" in catalog.model_fields_set else REPO / ".dagmaster"
    path = data_dir / "azurite-scratch"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


@contextlib.contextmanager
def run_azurite(location: Path | None = None) -> Iterator[Azurite]:
    """Run Azurite on free loopback ports until the block exits: in memory, or keeping
    blobs under ``location`` (for gigabytes of benchmark rasters, too much for Node's heap)."""
    ports = Azurite(_free_port(), _free_port(), _free_port())
    if location is not None:
        location.mkdir(parents=True, exist_ok=True)
    storage = ["--location", str(location)] if location else ["--inMemoryPersistence"]
    cmd = [
        azurite_binary(),
        "--silent",
        *storage,
        "--skipApiVersionCheck",
        "--disableProductStyleUrl",
        "--disableTelemetry",
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(ports.blob_port),
        "--queueHost",
        "127.0.0.1",
        "--queuePort",
        str(ports.queue_port),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(ports.table_port),
    ]
    # Azurite writes its debug log and extent files under the cwd unless told otherwise.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=_scratch()
    )
    try:
        deadline = time.monotonic() + 30
        for port in (ports.blob_port, ports.queue_port, ports.table_port):
            _wait_for_port(port, deadline)
        yield ports
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
