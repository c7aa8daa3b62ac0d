"""Benchmark: the tiled COG path (plan_tiles + cog_tile in 2 processes + mosaic) against one
`rio cogeo create` of the same input.

    .venv/bin/python -m benchmarks.raster_tiled [--size 10240] [--tile-size 5120]

Reuses the input of benchmarks.create_cog (same structured 4-band uint16 raster). Tiles read
their window over HTTP range reads from an on-disk Azurite and upload their COG there;
each phase is timed so the report can say where the time goes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from benchmarks.raster_support import (
    INPUTS,
    OUTPUTS,
    REPO,
    azurite_on_disk,
    best_of,
    dump,
    make_structured_raster,
    scratch_dir,
    use_azurite,
)


def run_tile(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """One fan-out child: what a container worker does for one tile (fresh process)."""
    import handlers.raster  # noqa: F401
    from handlers.base import LocalContext, registry

    start = time.perf_counter()
    out = registry.run("cog_tile", params, LocalContext())
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10240)
    parser.add_argument("--tile-size", type=int, default=5120)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = scratch_dir("create_cog")
    source = make_structured_raster(work / f"input_{args.size}.tif", args.size)
    rio = best_of(
        1,
        [
            str(REPO / ".venv/bin/rio"),
            "cogeo",
            "create",
            "--quiet",
            str(source),
            str(work / "rio_cogeo_tiled_ref.tif"),
        ],
    )
    with azurite_on_disk(work / "azurite") as azurite:
        use_azurite(azurite)
        import handlers.raster  # noqa: F401
        import wiring
        from handlers.base import LocalContext, registry

        store = wiring.blob_store()
        if not store.exists(store.ref(INPUTS, source.name)):
            store.upload_file(store.ref(INPUTS, source.name), source)
        src = {"container": INPUTS, "blob_path": source.name}
        t0 = time.perf_counter()
        plan = registry.run("plan_tiles", {**src, "tile_size": args.tile_size}, LocalContext())
        t_plan = time.perf_counter() - t0
        jobs = [
            {**src, "tile": tile, "output_container": OUTPUTS, "output_prefix": "tiled"}
            for tile in plan["tiles"]
        ]
        spawn = multiprocessing.get_context("spawn")
        t1 = time.perf_counter()
        with ProcessPoolExecutor(args.workers, mp_context=spawn) as pool:
            tiles = list(pool.map(run_tile, jobs))
        t_tiles = time.perf_counter() - t1
        t2 = time.perf_counter()
        mosaic_params = {
            "tiles": [out for _, out in tiles],
            "output_container": OUTPUTS,
            "output_path": "tiled/mosaic.vrt",
        }
        mosaic = registry.run("mosaic", mosaic_params, LocalContext())
        t_mosaic = time.perf_counter() - t2
    total = t_plan + t_tiles + t_mosaic
    dump(
        work / "tiled_results.json",
        {
            "size": args.size,
            "tile_size": args.tile_size,
            "workers": args.workers,
            "tiles": len(tiles),
            "rio_cogeo_create_s": round(rio.seconds, 1),
            "plan_tiles_s": round(t_plan, 2),
            "cog_tiles_wall_s": round(t_tiles, 1),
            "cog_tile_each_s": [round(s, 1) for s, _ in tiles],
            "mosaic_s": round(t_mosaic, 2),
            "tiled_total_s": round(total, 1),
            "ratio_tiled_vs_rio": round(total / rio.seconds, 3),
            "all_tiles_valid": all(out["validation"]["is_valid"] for _, out in tiles),
            "mosaic": mosaic["output"]["blob_path"],
        },
    )


if __name__ == "__main__":
    main()
