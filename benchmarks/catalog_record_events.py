"""How the catalog's write cost grows with a job's node count (should be about linear).

Records ready/dispatched/running/completed for every node of one job, in batches the size
of an orchestrator episode, on the embedded PostgreSQL; then replays all of it (a retried
activity) and reads the node list and timeline back.

    .venv/bin/python -m benchmarks.catalog_record_events [nodes ...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adapters.catalog.repository import JobCatalog
from domain.events import EventKind, JobEvent
from tests.catalog.builders import a_job, an_event
from tests.support.postgres import fresh_catalog, run_embedded_postgres

KINDS = (
    EventKind.NODE_READY,
    EventKind.NODE_DISPATCHED,
    EventKind.NODE_RUNNING,
    EventKind.NODE_COMPLETED,
)
BATCH = 200


def events_for(job_id: str, nodes: int) -> list[JobEvent]:
    seq = iter(range(len(KINDS) * nodes))
    return [
        an_event(job_id, next(seq), kind, f"node-{n}", 1, output={"n": n})
        for kind in KINDS
        for n in range(nodes)
    ]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(catalog: JobCatalog, nodes: int) -> None:
    job_id = catalog.create_job(a_job()).job_id
    events = events_for(job_id, nodes)
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    write = timed(lambda: [catalog.record_events(b) for b in batches])
    replay = timed(lambda: [catalog.record_events(b) for b in batches])
    read = timed(lambda: (catalog.list_nodes(job_id), catalog.timeline(job_id)))
    per_event_us = write / len(events) * 1e6
    print(
        f"{nodes:>6} nodes {len(events):>6} events  write {write:6.2f}s "
        f"({per_event_us:5.0f} us/event)  replay {replay:6.2f}s  read {read:5.2f}s"
    )


def main(sizes: list[int]) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="dagmaster-pg-") as tmp,
        run_embedded_postgres(Path(tmp)) as server,
        fresh_catalog(server) as db,
    ):
        for nodes in sizes:
            run(db.catalog, nodes)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 5000])
