"""Orchestrator scale on devhost: a fan-out of N echo nodes, N = 100, 1,000, 10,000.

    .venv/bin/python benchmarks/orchestrator_scale.py [N ...]

For each N, on a fresh devhost (the product app, real Azurite, embedded PostgreSQL): submits
`wide_fan_out_test` through `POST /api/jobs`, waits for the catalog to say completed, then
reads from devhost every orchestration instance of the job (the parent and its fan-out
batches): total replay time (time inside the SDK's orchestrator function, all episodes),
episodes, and the largest history. Figures are written down in benchmarks/README.md.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

from dagmaster.azurite import run_azurite
from devhost.testing import run_devhost

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = os.pathsep.join([str(REPO / "workflows"), str(REPO / "tests/engine/workflows")])
DURABLE = "/runtime/webhooks/durabletask/instances"


def measure(n: int, connection_string: str) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="dagmaster-bench-"))
    env = {
        "DAGMASTER_STORAGE_CONNECTION_STRING": connection_string,
        "DAGMASTER_TASK_QUEUE": "storage",
        "DAGMASTER_DATA_DIR": str(data),
        "DAGMASTER_WORKFLOWS_DIR": WORKFLOWS,
        "DAGMASTER_HANDLERS_MODULES": "tests.engine.e2e_handlers",  # resume_test's handler
    }
    try:
        with run_devhost(REPO, data / "devhost", env=env) as host:
            http = httpx.Client(base_url=host.base_url, timeout=120)
            http.get("/api/readyz")  # start the embedded catalog before the clock starts
            started = time.perf_counter()
            body = {"workflow_id": "wide_fan_out_test", "inputs": {"items": list(range(n))}}
            job_id = http.post("/api/jobs", json=body).json()["job_id"]
            while (job := http.get(f"/api/jobs/{job_id}").json())["status"] not in (
                "completed",
                "failed",
            ):
                time.sleep(0.2)
            wall = time.perf_counter() - started
            assert job["status"] == "completed" and job["output"]["result"] == sum(range(n)), job
            return {"n": n, "wall": wall, **instances(http, job_id)}
    finally:
        shutil.rmtree(data, ignore_errors=True)


def instances(http: httpx.Client, job_id: str) -> dict[str, float]:
    ids = [
        i["instanceId"]
        for i in http.get(DURABLE, params={"instanceIdPrefix": job_id, "top": 1000}).json()
    ]
    replay, episodes, longest, parent = 0.0, 0, 0, 0
    for instance in ids:
        stats = http.get("/admin/devhost/metrics", params={"instanceId": instance}).json()
        replay += stats["replaySeconds"]
        episodes += stats["episodes"]
        status = http.get(f"{DURABLE}/{instance}", params={"showHistory": "true"}).json()
        length = len(status.get("historyEvents") or [])
        longest = max(longest, length)
        if instance == job_id:
            parent = length
    return {
        "instances": len(ids),
        "replay": replay,
        "episodes": episodes,
        "longest_history": longest,
        "parent_history": parent,
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000, 10_000]
    print(
        "| N | wall s | replay s (all instances) | instances | episodes | longest history "
        "| parent history |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    results = []
    with run_azurite() as azurite:
        for n in sizes:
            r = measure(n, azurite.connection_string)
            results.append(r)
            print(
                f"| {n:,} | {r['wall']:.1f} | {r['replay']:.2f} | {r['instances']} | "
                f"{r['episodes']} | {r['longest_history']} | {r['parent_history']} |",
                flush=True,
            )
    by_n = {r["n"]: r for r in results}
    if 1000 in by_n and 10_000 in by_n:
        print(
            f"\nreplay cost(10,000) / cost(1,000) = "
            f"{by_n[10_000]['replay'] / by_n[1000]['replay']:.1f}"
        )


if __name__ == "__main__":
    main()
