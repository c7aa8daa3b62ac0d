"""Benchmark: raster_validate on sparse tiled GeoTIFFs served by Azurite.

    .venv/bin/python -m benchmarks.raster_validate [--sizes 10000 100000]

Each raster is a tiled (512) BigTIFF written with SPARSE_OK, so a 100,000 x 100,000 raster
is a few MB of tile tables on disk. raster_validate reads metadata over HTTP range reads;
its time must stay flat as the pixel count grows 100-fold. Each size is timed in a fresh
child process (cold GDAL caches), best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json

from benchmarks.raster_support import (
    INPUTS,
    azurite_on_disk,
    best_of,
    dump,
    python_child,
    scratch_dir,
    storage_env,
    use_azurite,
)
from dagmaster.synthetic import write_sparse_raster

TIMED = """
import json, time
import handlers.raster
from handlers.base import LocalContext, registry
start = time.perf_counter()
out = registry.run("raster_validate", {params!r}, LocalContext())
print(json.dumps({{"s": time.perf_counter() - start, "cog": out["cog"]["is_valid"],
                  "size_bytes": out["size_bytes"], "width": out["width"]}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = scratch_dir("raster_validate")
    results: dict[str, object] = {"repeat": args.repeat}
    with azurite_on_disk(work / "azurite") as azurite:
        use_azurite(azurite)
        import wiring

        store = wiring.blob_store()
        env = storage_env(azurite)
        for size in args.sizes:
            local = write_sparse_raster(work / f"sparse_{size}.tif", size)
            store.upload_file(store.ref(INPUTS, local.name), local)
            params = {"container": INPUTS, "blob_path": local.name}
            run = best_of(args.repeat, python_child(TIMED.format(params=params)), env)
            inner = json.loads(run.stdout)
            results[f"{size}x{size}"] = {
                "file_bytes": local.stat().st_size,
                "handler_s": round(inner["s"], 3),
                "child_process_s": round(run.seconds, 2),
                "max_rss_mb": round(run.max_rss_mb),
                "is_cog": inner["cog"],
            }
    dump(work / "results.json", results)


if __name__ == "__main__":
    main()
