"""Benchmark: the create_cog handler against `rio cogeo create` on the same input.

    .venv/bin/python -m benchmarks.create_cog [--size 10240]

Three children, each measured for wall time and peak RSS (os.wait4), run in turn for
``--repeat`` rounds, best of each:
  1. `rio cogeo create` (deflate profile, its defaults) on a local file;
  2. the handler's conversion step (`write_cog`, same options) on the same local file;
  3. the whole `create_cog` handler against an on-disk Azurite (read the source over HTTP,
     convert, validate, upload), which also reports when each of its phases ended.
The input is a 4-band uint16 ``size`` x ``size`` raster with terrain-like structure.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import rasterio
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_validate

from benchmarks.raster_support import (
    INPUTS,
    OUTPUTS,
    PYTHON,
    REPO,
    azurite_on_disk,
    best_alternating,
    dump,
    make_structured_raster,
    python_child,
    scratch_dir,
    storage_env,
    use_azurite,
)

CONVERT = """
from pathlib import Path
from handlers.raster.cogwriter import CogOptions, write_cog
write_cog({src!r}, Path({dst!r}), CogOptions())
"""

# A timeline in seconds since the child started: when the imports ended, when the handler
# reported each progress step, and when the staging copy and the overviews were done.
HANDLER = """
import time
started = time.perf_counter()
import json
import handlers.raster
import handlers.raster.cogwriter as cogwriter
from handlers.base import LocalContext, registry
phases = {{}}
def mark(name):
    phases[name] = round(time.perf_counter() - started, 2)
def marked(name, step):
    def run(*args, **kwargs):
        result = step(*args, **kwargs)
        mark(name)
        return result
    return run
class Timed(LocalContext):
    def report_progress(self, percent, message=""):
        super().report_progress(percent, message)
        mark(f"{{percent:.0f}}% {{message.split()[0]}}")
cogwriter._stage = marked("staging copy done", cogwriter._stage)
cogwriter._build_overviews = marked("overviews done", cogwriter._build_overviews)
mark("imports done")
out = registry.run("create_cog", {params!r}, Timed())
print(json.dumps({{"result": out, "timeline_s": phases}}))
"""


def same_pixels(a: str, b: str) -> bool:
    with rasterio.open(a) as x, rasterio.open(b) as y:
        for row in range(0, x.height, 1024):
            w = Window(0, row, x.width, min(1024, x.height - row))
            if not np.array_equal(x.read(window=w), y.read(window=w)):
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10240)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = scratch_dir("create_cog")
    source = make_structured_raster(work / f"input_{args.size}.tif", args.size)
    rio_out, ours_out = work / "rio_cogeo.tif", work / "write_cog.tif"

    with azurite_on_disk(work / "azurite") as azurite:
        use_azurite(azurite)
        import wiring

        store = wiring.blob_store()
        store.upload_file(store.ref(INPUTS, source.name), source)
        params = {
            "container": INPUTS,
            "blob_path": source.name,
            "output_container": OUTPUTS,
            "output_path": "cog.tif",
        }
        env = storage_env(azurite)
        best = best_alternating(
            args.repeat,
            {
                "rio": (
                    [
                        str(REPO / ".venv/bin/rio"),
                        "cogeo",
                        "create",
                        "--quiet",
                        str(source),
                        str(rio_out),
                    ],
                    None,
                ),
                "ours": (python_child(CONVERT.format(src=str(source), dst=str(ours_out))), None),
                "handler": (python_child(HANDLER.format(params=params)), env),
            },
        )
        handler_out = work / "handler.tif"
        store.download_file(store.ref(OUTPUTS, "cog.tif"), handler_out)
    rio, ours, handler = best["rio"], best["ours"], best["handler"]
    child = json.loads(handler.stdout)
    result = child["result"]
    dump(
        work / "results.json",
        {
            "input": {"size": args.size, "bands": 4, "bytes": source.stat().st_size},
            "repeat": args.repeat,
            "rio_cogeo_create": {
                "s": round(rio.seconds, 1),
                "max_rss_mb": round(rio.max_rss_mb),
                "bytes": rio_out.stat().st_size,
            },
            "write_cog": {
                "s": round(ours.seconds, 1),
                "max_rss_mb": round(ours.max_rss_mb),
                "bytes": ours_out.stat().st_size,
            },
            "create_cog_handler_azurite": {
                "s": round(handler.seconds, 1),
                "max_rss_mb": round(handler.max_rss_mb),
                "timeline_s": child["timeline_s"],
            },
            "ratio_write_cog_vs_rio": round(ours.seconds / rio.seconds, 3),
            "ratio_handler_vs_rio": round(handler.seconds / rio.seconds, 3),
            "outputs_valid": [cog_validate(str(p), quiet=True)[0] for p in (rio_out, ours_out)],
            "handler_output_valid": result["validation"]["is_valid"],
            "pixels_equal_input": same_pixels(str(source), str(ours_out)),
            "handler_pixels_equal_input": same_pixels(str(source), str(handler_out)),
            "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()],
            "python": PYTHON,
        },
    )


if __name__ == "__main__":
    main()
