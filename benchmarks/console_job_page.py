"""How fast the console's job page renders for 1,000-node jobs (target: under 1 s).

    .venv/bin/python benchmarks/console_job_page.py

Two jobs, on devhost with Azurite and an embedded PostgreSQL:

- ``wide``: a workflow of 1,000 task nodes (50 layers of 20, each node depending on up to
  three of the layer above), its job half done: 500 nodes completed (one after a retry),
  20 running, the rest pending. Its timeline is written straight into the catalog, as the
  orchestrator's ``record_events`` would, so no 1,000-activity run is needed to measure
  the page. This is the layout's worst case: every node is drawn.
- ``fan_out``: ``wide_fan_out_test`` with 1,000 children, run for real: the fan-out is one
  node with its children's counts, and the Gantt timeline has a row per child (the first
  200 drawn).

For each: the server's time to answer ``GET /ui/jobs/<id>`` (first request, which lays the
graph out, and the median of the next five, which reuse the cached layout), the page's
size, the ``/live`` poll's time and size, and in headless Chromium the time from navigation
to the load event with every node on screen.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import handlers  # noqa: E402
from adapters.catalog import JobCatalog, JobRecord, upgrade  # noqa: E402
from adapters.catalog.connection import open_pool  # noqa: E402
from adapters.catalog.embedded import embedded_url, stop_embedded  # noqa: E402
from config.settings import CatalogSettings  # noqa: E402
from dagmaster.azurite import run_azurite  # noqa: E402
from devhost.testing import CHROMIUM, CHROMIUM_FLAGS, run_devhost  # noqa: E402
from domain.events import EventKind, JobEvent  # noqa: E402
from domain.loader import load_workflow_dir  # noqa: E402
from domain.snapshot import content_hash  # noqa: E402

LAYERS, WIDTH = 50, 20


def wide_workflow() -> dict:
    nodes: list[dict] = [{"id": "start", "type": "start"}]
    above = ["start"]
    for layer in range(LAYERS):
        ids = [f"l{layer:02d}_{i:02d}" for i in range(WIDTH)]
        for i, node_id in enumerate(ids):
            deps = sorted({above[(i * 7 + k * 3) % len(above)] for k in range(1 + i % 3)})
            nodes.append({"id": node_id, "type": "task", "handler": "echo", "depends_on": deps})
        above = ids
    nodes.append({"id": "end", "type": "end", "depends_on": above})
    return {
        "workflow_id": "console_bench",
        "version": 1,
        "defaults": {"queue": "light"},
        "nodes": nodes,
    }


def seed_wide_job(catalog: JobCatalog, folder: Path) -> str:
    definition = load_workflow_dir([folder], handlers=handlers.registry.names()).get(
        "console_bench"
    )
    job = catalog.create_job(
        JobRecord(
            job_id="bench-wide",
            workflow_id="console_bench",
            workflow_version=1,
            workflow_hash=content_hash(definition),
        )
    )
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    events: list[JobEvent] = []

    def emit(kind: EventKind, node: str | None = None, attempt: int | None = None, **data) -> None:
        at = t0 + timedelta(milliseconds=150 * len(events))
        events.append(
            JobEvent(
                job_id=job.job_id,
                seq=len(events),
                kind=kind,
                at=at,
                node_id=node,
                attempt=attempt,
                data=data,
            )
        )

    emit(EventKind.JOB_CREATED)
    emit(EventKind.JOB_STARTED)
    order = [n.id for n in definition.nodes]
    for index, node_id in enumerate(order[:520]):
        emit(EventKind.NODE_READY, node_id)
        emit(EventKind.NODE_DISPATCHED, node_id, 1)
        if index == 3:
            error = {"kind": "transient", "message": "try again", "retryable": True}
            emit(EventKind.NODE_RETRYING, node_id, 1, error=error, next_attempt=2, delay_seconds=1)
            emit(EventKind.NODE_DISPATCHED, node_id, 2)
        if index < 500:
            emit(EventKind.NODE_COMPLETED, node_id, 2 if index == 3 else 1, output={"n": index})
    catalog.record_events(events)
    catalog.update_progress(job.job_id, {"counts": {"pending": len(order)}})
    return job.job_id


def run_fan_out(http: httpx.Client) -> str:
    body = {"workflow_id": "wide_fan_out_test", "inputs": {"items": list(range(1000))}}
    job_id = http.post("/api/jobs", json=body).json()["job_id"]
    while http.get(f"/api/jobs/{job_id}").json()["status"] not in ("completed", "failed"):
        time.sleep(0.3)
    return job_id


def server_times(http: httpx.Client, job_id: str) -> dict[str, float]:
    def timed(path: str) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = http.get(path)
        assert response.status_code == 200, response.text[:500]
        return time.perf_counter() - started, response

    first, page = timed(f"/ui/jobs/{job_id}")
    warm = statistics.median(timed(f"/ui/jobs/{job_id}")[0] for _ in range(5))
    live_s, live = timed(f"/ui/jobs/{job_id}/live")
    return {
        "first_s": first,
        "warm_s": warm,
        "page_kb": len(page.content) / 1024,
        "live_s": live_s,
        "live_kb": len(live.content) / 1024,
    }


def browser_times(base_url: str, job_ids: list[str], profile: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    result: dict[str, float] = {}
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        for job_id in job_ids:
            page = context.new_page()
            page.goto(f"{base_url}/ui/jobs/{job_id}", wait_until="load")
            nav = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
            nodes = page.locator("svg.dag [data-node-id]").count()
            result[job_id] = nav["loadEventEnd"] / 1000
            result[f"{job_id}:nodes"] = nodes
            page.close()
        context.close()
    return result


def main() -> int:
    data = Path(tempfile.mkdtemp(prefix="dagmaster-console-bench-"))
    folder = data / "workflows"
    folder.mkdir()
    (folder / "console_bench.yaml").write_text(yaml.safe_dump(wide_workflow(), sort_keys=False))
    try:
        with run_azurite() as azurite:
            url = embedded_url(data / "pgdata")
            pool = open_pool(CatalogSettings(DATABASE_URL=url))
            upgrade(pool)
            wide = seed_wide_job(JobCatalog(pool), folder)
            env = {
                "DATABASE_URL": url,
                "DAGMASTER_STORAGE_CONNECTION_STRING": azurite.connection_string,
                "DAGMASTER_TASK_QUEUE": "storage",
                "DAGMASTER_DATA_DIR": str(data),
                "DAGMASTER_WORKFLOWS_DIR": os.pathsep.join(
                    [str(REPO / "workflows"), str(REPO / "tests/engine/workflows"), str(folder)]
                ),
                "DAGMASTER_HANDLERS_MODULES": "tests.engine.e2e_handlers",
            }
            with run_devhost(REPO, data / "devhost", env=env) as host:
                http = httpx.Client(base_url=host.base_url, timeout=120)
                http.get("/api/readyz")
                fan_out = run_fan_out(http)
                rows = {"wide (1,000 nodes drawn)": wide, "fan_out (1,000 children)": fan_out}
                figures = {name: server_times(http, job) for name, job in rows.items()}
                browser = browser_times(host.base_url, list(rows.values()), data / "profile")
            pool.close()
    finally:
        stop_embedded(data / "pgdata")
        shutil.rmtree(data, ignore_errors=True)
    print(
        f"{'job':<26} {'first s':>8} {'warm s':>7} {'page KB':>8} {'live s':>7} "
        f"{'live KB':>8} {'browser load s':>15} {'nodes drawn':>12}"
    )
    for name, job_id in rows.items():
        f = figures[name]
        print(
            f"{name:<26} {f['first_s']:>8.3f} {f['warm_s']:>7.3f} {f['page_kb']:>8.0f} "
            f"{f['live_s']:>7.3f} {f['live_kb']:>8.1f} {browser[job_id]:>15.3f} "
            f"{browser[job_id + ':nodes']:>12.0f}"
        )
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
