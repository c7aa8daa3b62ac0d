"""Shared by the raster benchmarks: an on-disk Azurite, synthetic rasters, measured children."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

from dagmaster.azurite import Azurite, run_azurite

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
INPUTS, OUTPUTS = "bench-in", "bench-out"


def azurite_on_disk(location: Path) -> AbstractContextManager[Azurite]:
    """Azurite keeping blobs on disk: the in-memory mode of the test fixture would hold
    gigabytes of benchmark rasters in Node's heap."""
    return run_azurite(location)


def storage_env(azurite: Azurite) -> dict[str, str]:
    """The settings a handler needs: the account and the containers it may use."""
    return {
        "DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "DAGMASTER_INPUT_CONTAINERS": INPUTS,
        "DAGMASTER_OUTPUT_CONTAINERS": OUTPUTS,
    }


def use_azurite(azurite: Azurite) -> None:
    """Point the handlers' store at ``azurite`` (environment, as in production)."""
    import wiring

    os.environ.update(storage_env(azurite))
    wiring.reset()
    store = wiring.blob_store()
    service = store._services[store.default_account]  # type: ignore[attr-defined]
    for name in (INPUTS, OUTPUTS):
        if not service.get_container_client(name).exists():
            service.create_container(name)


def structured_rows(row_off: int, rows: int, width: int, count: int) -> np.ndarray:
    """Terrain-like uint16 bands: smooth large-scale relief, field-like plateaus and sensor
    noise, so deflate compresses it about as well as real imagery (not 100x like a ramp)."""
    y, x = np.mgrid[row_off : row_off + rows, 0:width].astype(np.float32)
    relief = 900 * np.sin(x / 700) * np.cos(y / 900) + 300 * np.sin((x + 2 * y) / 83)
    fields = ((x // 250 + y // 180) % 7) * 120
    rng = np.random.default_rng(row_off)
    bands = []
    for b in range(count):
        noise = rng.normal(0, 2 + b, size=(rows, width))
        bands.append(np.clip(3000 + relief * (1 + b / 4) + fields + noise, 1, 65535))
    return np.stack(bands).astype(np.uint16)


def make_structured_raster(path: Path, size: int, count: int = 4) -> Path:
    """A ``size`` x ``size`` uncompressed striped GeoTIFF (a typical producer's output)."""
    if path.exists():
        with rasterio.open(path) as src:
            if (src.width, src.height, src.count) == (size, size, count):
                return path
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": count,
        "dtype": "uint16",
        "crs": CRS.from_epsg(32633),
        "transform": from_origin(500_000, 5_000_000, 1, 1),
        "nodata": 0,
        "BIGTIFF": "IF_SAFER",
    }
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, size, 512):
            rows = min(512, size - row)
            dst.write(structured_rows(row, rows, size, count), window=Window(0, row, size, rows))
    return path


@dataclass(frozen=True)
class Measured:
    seconds: float
    max_rss_mb: float
    stdout: str


# A child process: its command line and extra environment variables.
Child = tuple[list[str], dict[str, str] | None]


def run_child(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, resource.struct_rusage, str]:
    """Run ``cmd`` as a child: its wall time, its own rusage (os.wait4) and its stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, env={**os.environ, **(env or {})}, cwd=REPO, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{cmd[:3]} failed with exit code {code}")
    return seconds, usage, out


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` as a child; wall time and the child's own peak RSS."""
    seconds, usage, out = run_child(cmd, env)
    return Measured(seconds, usage.ru_maxrss / 1024, out)


def best_of(repeat: int, cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """The fastest of ``repeat`` runs (others share these cores), with the highest RSS."""
    return _best([measure(cmd, env) for _ in range(repeat)])


def best_alternating(repeat: int, children: dict[str, Child]) -> dict[str, Measured]:
    """Each child once per round, ``repeat`` rounds: a burst of load from other jobs hits
    every child alike. The fastest run of each, with its highest RSS."""
    runs: dict[str, list[Measured]] = {name: [] for name in children}
    for _ in range(repeat):
        for name, (cmd, env) in children.items():
            runs[name].append(measure(cmd, env))
    return {name: _best(measured) for name, measured in runs.items()}


def _best(runs: list[Measured]) -> Measured:
    fastest = min(runs, key=lambda m: m.seconds)
    return Measured(fastest.seconds, max(m.max_rss_mb for m in runs), fastest.stdout)


def python_child(code: str) -> list[str]:
    return [PYTHON, "-c", code]


def scratch_dir(name: str) -> Path:
    base = Path(os.environ.get("DAGMASTER_BENCH_DIR", Path(tempfile.gettempdir()) / "dagbench"))
    path = base / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def dump(path: Path, results: dict[str, object]) -> None:
    path.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
