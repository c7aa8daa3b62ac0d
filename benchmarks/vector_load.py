"""Benchmark: vector_ingest's load path against ``ogr2ogr -f PostgreSQL`` on the same data.

    .venv/bin/python -m benchmarks.vector_load [--repeat 2] [--workers 2]

Two sources as GeoPackages: 1,000,000 points (WGS84) and 100,000 parcels (polygons in UTM
33N, holes, one invalid ring, single and multi mixed). Each is loaded into a local PostGIS
(started here) to WGS84 multi geometries with a spatial index, valid geometries and a
primary key, once by ogr2ogr and once by dagmaster's handlers: ``vector_validate``,
``vector_plan_chunks``, ``--workers`` processes running ``vector_load_chunk`` in parallel
(as that many container workers would), ``vector_finalize``. dagmaster reads the source
from Azurite (one download per process, cached); ogr2ogr reads the local file. Rounds
alternate the two, best of ``--repeat`` each, with the CPU time of each tool's processes
and of the PostgreSQL backends (wall time is noisy on a shared machine; CPU much less).
``--only points_1m`` runs one data set. Figures: benchmarks/README-vector.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.raster_support import INPUTS, azurite_on_disk, run_child, scratch_dir

DATASETS = {
    "points_1m": ("points", 1_000_000, 125_000),
    "parcels_100k": ("parcels", 100_000, 12_500),
}


def _load_chunk(params: dict[str, Any]) -> dict[str, Any]:
    from handlers.base import LocalContext, registry

    return dict(registry.run("vector_load_chunk", params, LocalContext(job_id=params.pop("_job"))))


def dagmaster_load(blob_path: str, table: str, chunk_size: int, workers: int) -> dict[str, Any]:
    """One load through the handlers (the child process of a round). ``job_s`` is the job
    alone, validate to finalize, without the interpreter's start and imports (which a
    long-running worker pays once, not per job)."""
    import handlers  # noqa: F401  (registers the handlers)
    from handlers.base import LocalContext, registry

    job = f"bench-{time.time_ns()}"
    ctx = LocalContext(job_id=job)
    source = {"container": INPUTS, "blob_path": blob_path}
    start = time.perf_counter()
    v = registry.run("vector_validate", source, ctx)
    validated = time.perf_counter()
    target = {
        "table": table,
        "geometry_type": v["geometry_type"],
        "has_z": v["has_z"],
        "fields": v["fields"],
    }
    plan = registry.run(
        "vector_plan_chunks",
        {**target, "feature_count": v["feature_count"], "chunk_size": chunk_size},
        ctx,
    )
    tasks = [
        {
            **source,
            **target,
            "layer": v["layer"],
            "source_srid": v["source_srid"],
            "chunk": c,
            "_job": job,
        }
        for c in plan["chunks"]
    ]
    with ProcessPoolExecutor(workers) as pool:
        chunks = list(pool.map(_load_chunk, tasks))
    loaded = time.perf_counter()
    final = registry.run(
        "vector_finalize",
        {
            "table": table,
            "feature_count": v["feature_count"],
            "target_srid": 4326,
            "geometry_type": v["geometry_type"],
            "chunks": chunks,
        },
        ctx,
    )
    end = time.perf_counter()
    return {
        "rows": final["feature_count"],
        "validate_s": round(validated - start, 2),
        "load_s": round(loaded - validated, 2),
        "finalize_s": round(end - loaded, 2),
        "job_s": round(end - start, 2),
    }


@dataclass(frozen=True)
class Run:
    """One child's wall time, its own CPU (with its children's, from wait4), the CPU the
    PostgreSQL backends spent meanwhile, its peak RSS and what it printed."""

    seconds: float
    client_cpu_s: float
    server_cpu_s: float
    max_rss_mb: float
    stdout: str


def _server_cpu(data_dir: Path) -> float:
    """CPU seconds of the server's exited backends (reaped by the postmaster) and its own."""
    pid = (data_dir / "postmaster.pid").read_text().split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], env: dict[str, str] | None, data_dir: Path) -> Run:
    server_before = _server_cpu(data_dir)
    seconds, usage, out = run_child(cmd, env)
    time.sleep(0.5)  # let the postmaster reap the last backends
    return Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        _server_cpu(data_dir) - server_before,
        usage.ru_maxrss / 1024,
        out,
    )


def alternating(
    repeat: int, children: dict[str, tuple[list[str], dict[str, str] | None]], data_dir: Path
) -> dict[str, list[Run]]:
    """Each child once per round, ``repeat`` rounds, so a burst of load hits both alike."""
    runs: dict[str, list[Run]] = {name: [] for name in children}
    for _ in range(repeat):
        for name, (cmd, env) in children.items():
            runs[name].append(measure(cmd, env, data_dir))
    return runs


def _summary(runs: list[Run]) -> dict[str, Any]:
    best = min(runs, key=lambda r: r.seconds)
    return {
        "best_s": round(best.seconds, 2),
        "all_s": [round(r.seconds, 2) for r in runs],
        "client_cpu_s": min(round(r.client_cpu_s, 2) for r in runs),
        "server_cpu_s": min(round(r.server_cpu_s, 2) for r in runs),
        "peak_rss_mb": round(max(r.max_rss_mb for r in runs)),
    }


def ogr2ogr_cmd(path: Path, url: str, table: str) -> list[str]:
    return [
        "ogr2ogr",
        "-f",
        "PostgreSQL",
        f"PG:{url.replace('postgresql://', 'postgresql://')}",
        str(path),
        "-nln",
        f"ogr.{table}",
        "-lco",
        "GEOMETRY_NAME=geom",
        "-lco",
        "SPATIAL_INDEX=GIST",
        "-nlt",
        "PROMOTE_TO_MULTI",
        "-t_srs",
        "EPSG:4326",
        "-makevalid",
        "-overwrite",
        "--config",
        "PG_USE_COPY",
        "YES",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=sorted(DATASETS), action="append")
    parser.add_argument("--child", nargs=3, metavar=("BLOB", "TABLE", "CHUNK"))
    args = parser.parse_args()
    if args.child:
        blob, table, chunk = args.child
        print(json.dumps(dagmaster_load(blob, table, int(chunk), args.workers)))
        return
    from adapters.postgis.local import start_local_postgis
    from dagmaster import vector_samples as samples

    work = scratch_dir("vector")
    server = start_local_postgis(work / "postgis")
    try:
        import psycopg

        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS ogr")
        with azurite_on_disk(work / "azurite") as azurite:
            from benchmarks.raster_support import use_azurite

            use_azurite(azurite)
            from wiring import blob_store

            env = {
                "DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string,
                "DAGMASTER_POSTGIS_URL": server.url,
                "DAGMASTER_VECTOR_SCHEMA": "geo",
            }
            results: dict[str, Any] = {"load_average": os.getloadavg()}
            for name, (kind, n, chunk) in DATASETS.items():
                if args.only and name not in args.only:
                    continue
                features = getattr(samples, kind)(n)
                path = work / f"{name}.gpkg"
                if not path.exists():
                    samples.write(features, path, "GPKG")
                blob = f"vector/{name}.gpkg"
                blob_store().upload_file(blob_store().ref(INPUTS, blob), path)
                me = [
                    sys.executable,
                    "-m",
                    "benchmarks.vector_load",
                    "--workers",
                    str(args.workers),
                ]
                runs = alternating(
                    args.repeat,
                    {
                        "ogr2ogr": (ogr2ogr_cmd(path, server.url, name), None),
                        "dagmaster": ([*me, "--child", blob, name, str(chunk)], env),
                    },
                    server.data_dir,
                )
                ogr, ours = _summary(runs["ogr2ogr"]), _summary(runs["dagmaster"])
                fastest = min(runs["dagmaster"], key=lambda r: r.seconds)
                jobs = [json.loads(r.stdout)["job_s"] for r in runs["dagmaster"]]
                results[name] = {
                    "features": n,
                    "file_mb": round(path.stat().st_size / 2**20, 1),
                    "ogr2ogr": ogr,
                    "dagmaster": ours,
                    "ratio": round(ours["best_s"] / ogr["best_s"], 2),
                    "dagmaster_job_s": jobs,
                    "job_ratio": round(min(jobs) / ogr["best_s"], 2),
                    "cpu_ratio": round(
                        (ours["client_cpu_s"] + ours["server_cpu_s"])
                        / (ogr["client_cpu_s"] + ogr["server_cpu_s"]),
                        2,
                    ),
                    "dagmaster_phases": json.loads(fastest.stdout),
                    "load_average": os.getloadavg(),
                }
                print(json.dumps({name: results[name]}), flush=True)
            results["load_average_after"] = os.getloadavg()
            (work / "results.json").write_text(json.dumps(results, indent=2))
            print(json.dumps(results, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
