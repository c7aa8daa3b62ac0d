"""Benchmark: the create_cog handler against `rio cogeo create` on the same input.

    .venv/bin/python -m benchmarks.create_cog [--size 10240]

Three children, each measured for wall time and peak RSS (os.wait4), best of ``--repeat``:
  1. `rio cogeo create` (deflate profile, its defaults) on a local file;
  2. the handler's conversion step (`write_cog`, same options) on the same local file;
  3. the whole `create_cog` handler against an on-disk Azurite (download, convert,
     validate, upload).
The input is a 4-band uint16 ``size`` x ``size`` raster with terrain-like structure.
"""

from __future__ import annotations

import argparse
import json

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
    best_of,
    dump,
    make_structured_raster,
    python_child,
    scratch_dir,
    use_azurite,
)

CONVERT = """
from pathlib import Path
from handlers.raster.cogwriter import CogOptions, write_cog
write_cog({src!r}, Path({dst!r}), CogOptions())
"""

HANDLER = """
import json
import handlers.raster
from handlers.base import LocalContext, registry
out = registry.run("create_cog", {params!r}, LocalContext())
print(json.dumps(out))
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

    rio = best_of(args.repeat, [str(REPO / ".venv/bin/rio"), "cogeo", "create", "--quiet",
                   str(source), str(rio_out)])  # fmt: skip
    ours = best_of(args.repeat, python_child(CONVERT.format(src=str(source), dst=str(ours_out))))
    with azurite_on_disk(work / "azurite") as azurite:
        use_azurite(azurite)
        from handlers.raster.storage import blob_store

        store = blob_store()
        store.upload_file(store.ref(INPUTS, source.name), source)
        params = {"container": INPUTS, "blob_path": source.name,
                  "output_container": OUTPUTS, "output_path": "cog.tif"}  # fmt: skip
        env = {"DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string}
        handler = best_of(args.repeat, python_child(HANDLER.format(params=params)), env)
    result = json.loads(handler.stdout)
    dump(work / "results.json", {
        "input": {"size": args.size, "bands": 4, "bytes": source.stat().st_size},
        "repeat": args.repeat,
        "rio_cogeo_create": {"s": round(rio.seconds, 1), "max_rss_mb": round(rio.max_rss_mb),
                             "bytes": rio_out.stat().st_size},
        "write_cog": {"s": round(ours.seconds, 1), "max_rss_mb": round(ours.max_rss_mb),
                      "bytes": ours_out.stat().st_size},
        "create_cog_handler_azurite": {"s": round(handler.seconds, 1),
                                       "max_rss_mb": round(handler.max_rss_mb)},
        "ratio_write_cog_vs_rio": round(ours.seconds / rio.seconds, 3),
        "ratio_handler_vs_rio": round(handler.seconds / rio.seconds, 3),
        "outputs_valid": [cog_validate(str(p), quiet=True)[0] for p in (rio_out, ours_out)],
        "handler_output_valid": result["validation"]["is_valid"],
        "pixels_equal_input": same_pixels(str(source), str(ours_out)),
        "python": PYTHON,
    })  # fmt: skip


if __name__ == "__main__":
    main()
