"""``JobCatalog``: the job records, node attempts and timelines in PostgreSQL.

Every write is idempotent, so a replayed or retried activity can repeat it safely:
``create_job`` is keyed by ``request_id`` (and ``job_id``), events by ``job_id:seq``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from adapters.catalog import projections
from adapters.catalog.errors import JobConflict, UnknownJob
from adapters.catalog.models import JobPage, JobRecord, NodeRecord
from adapters.catalog.paging import Listing
from domain.events import JobEvent
from domain.status import JobStatus

_JOB_COLUMNS = (
    "job_id, workflow_id, workflow_version, workflow_hash, status, request_id, asset_id, "
    "inputs, output, error, progress, created_at, updated_at, started_at, completed_at"
)
_NODE_COLUMNS = (
    "job_id, node_id, attempt, attempts, status, handler, queue, started_at, finished_at, "
    "error, output, progress_percent, progress_message, updated_at"
)
_FILTERS = {
    "status": "status = %(status)s",
    "workflow_id": "workflow_id = %(workflow_id)s",
    "asset_id": "asset_id = %(asset_id)s",
    "platform_id": "asset_id IN (SELECT asset_id FROM assets WHERE platform_id = %(platform_id)s)",
    "created_from": "created_at >= %(created_from)s",
    "created_to": "created_at < %(created_to)s",
}
_JOBS = Listing("jobs", _JOB_COLUMNS, keys=("job_id",))
_INSERT_JOB = f"""
INSERT INTO jobs (job_id, workflow_id, workflow_version, workflow_hash, status, request_id,
                  asset_id, inputs, output, error, progress, created_at, updated_at,
                  started_at, completed_at)
VALUES (%(job_id)s, %(workflow_id)s, %(workflow_version)s, %(workflow_hash)s, %(status)s,
        %(request_id)s, %(asset_id)s, %(inputs)s, %(output)s, %(error)s, %(progress)s,
        %(created_at)s, now(), %(started_at)s, %(completed_at)s)
ON CONFLICT DO NOTHING
RETURNING {_JOB_COLUMNS}
"""
_INSERT_EVENTS = """
INSERT INTO job_events (event_id, job_id, seq, kind, node_id, attempt, at, data)
SELECT e, j, s, k, n, a, t, d::jsonb
  FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::int[],
              %s::timestamptz[], %s::text[]) AS u(e, j, s, k, n, a, t, d)
ON CONFLICT DO NOTHING
RETURNING event_id
"""
# No conflict target: event_id (job_id:seq, by a CHECK) and the (job_id, seq) index are two
# unique indexes on one key. With a target, only its index is an arbiter: a concurrent
# batch's row could still fail the other one with a UniqueViolation.
_UPSERT_NODE_PROGRESS = """
INSERT INTO job_nodes AS n (job_id, node_id, attempt, status, progress_percent, progress_message)
VALUES (%s, %s, %s, 'running', %s, %s)
ON CONFLICT (job_id, node_id, attempt) DO UPDATE SET
    progress_percent = EXCLUDED.progress_percent,
    progress_message = EXCLUDED.progress_message,
    updated_at = now()
"""


def _job_params(record: JobRecord) -> dict[str, Any]:
    params = record.model_dump()
    for key in ("inputs", "output", "error", "progress"):
        params[key] = None if params[key] is None else Jsonb(params[key])
    params["status"] = record.status.value
    return params


def _event_columns(events: list[JobEvent]) -> list[list[Any]]:
    return [
        [e.event_id for e in events],
        [e.job_id for e in events],
        [e.seq for e in events],
        [e.kind.value for e in events],
        [e.node_id for e in events],
        [e.attempt for e in events],
        [e.at for e in events],
        [json.dumps(e.model_dump(mode="json")["data"]) for e in events],
    ]


def _check_node_events(events: list[JobEvent]) -> None:
    bad = [e.event_id for e in events if projections.is_node_event(e) and not e.node_id]
    if bad:
        raise ValueError(f"Node events without node_id: {', '.join(bad)}")


class JobCatalog:
    """The job catalog on a psycopg connection pool (see ``adapters.catalog.connection``)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    @property
    def pool(self) -> ConnectionPool:
        return self._pool

    def _one_job(self, where: str, value: str) -> JobRecord | None:
        query = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {where} = %s"
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query.encode(), (value,)).fetchone()
        return None if row is None else JobRecord.model_validate(row)

    def create_job(self, record: JobRecord) -> JobRecord:
        """Insert ``record``; if its ``request_id`` (or ``job_id``) exists, return the stored job.

        Safe under concurrent submissions of the same request: exactly one insert wins and
        every caller gets that job back. Raises ``JobConflict`` when ``job_id`` exists with a
        different ``request_id``.
        """
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(_INSERT_JOB.encode(), _job_params(record)).fetchone()
        if row is not None:
            return JobRecord.model_validate(row)
        existing = self.find_by_request_id(record.request_id) if record.request_id else None
        existing = existing or self.get_job(record.job_id)
        if existing is None or existing.request_id != record.request_id:
            raise JobConflict(
                f"Job {record.job_id!r} exists with request_id "
                f"{existing.request_id if existing else None!r}, not {record.request_id!r}."
            )
        return existing

    def record_events(self, events: list[JobEvent]) -> int:
        """Store a batch of events in one transaction and project the new ones.

        Events already stored (same ``job_id:seq``) are skipped, so the call is idempotent.
        Returns how many events were new. Raises ``UnknownJob`` if a job was never created
        (and stores nothing), ``ValueError`` for a node event without ``node_id``.
        """
        if not events:
            return 0
        _check_node_events(events)
        # Rows are written in key order, so concurrent batches lock them in the same order
        # and cannot deadlock; the seq guards make the order of application irrelevant.
        events = sorted(events, key=lambda e: (e.job_id, e.seq))
        try:
            with self._pool.connection() as conn, conn.transaction():
                inserted = {r[0] for r in conn.execute(_INSERT_EVENTS, _event_columns(events))}
                new = list({e.event_id: e for e in events if e.event_id in inserted}.values())
                self._project(conn, new)
        except psycopg.errors.ForeignKeyViolation as exc:
            raise UnknownJob(f"{exc.diag.message_detail} Create the job first.") from exc
        return len(new)

    @staticmethod
    def _project(conn: psycopg.Connection, events: list[JobEvent]) -> None:
        node = sorted(
            (projections.node_params(e) for e in events if projections.is_node_event(e)),
            key=lambda p: (p["job_id"], p["node_id"], p["attempt"], p["seq"]),
        )
        job = [projections.job_params(e) for e in events if not projections.is_node_event(e)]
        with conn.cursor() as cur:
            if node:
                cur.executemany(projections.NODE_SQL.encode(), node)
            if job:
                cur.executemany(projections.JOB_SQL.encode(), job)

    def update_progress(self, job_id: str, progress: dict[str, Any]) -> bool:
        """Replace the job-level progress (counts by status, percent, running nodes).

        Returns False if there is no such job.
        """
        query = "UPDATE jobs SET progress = %s, updated_at = now() WHERE job_id = %s"
        with self._pool.connection() as conn:
            return conn.execute(query, (Jsonb(progress), job_id)).rowcount == 1

    def update_node_progress(
        self, job_id: str, node_id: str, attempt: int, percent: float, message: str | None = None
    ) -> None:
        """Set the progress of one attempt (heavy worker). Creates the attempt's row as
        ``running`` if its events are not recorded yet; events still decide its status."""
        if not 0 <= percent <= 100:
            raise ValueError(f"Invalid progress percent {percent!r}: must be within 0..100.")
        try:
            with self._pool.connection() as conn:
                conn.execute(_UPSERT_NODE_PROGRESS, (job_id, node_id, attempt, percent, message))
        except psycopg.errors.ForeignKeyViolation as exc:
            raise UnknownJob(f"No job {job_id!r}: create it first.") from exc

    def get_job(self, job_id: str) -> JobRecord | None:
        return self._one_job("job_id", job_id)

    def find_by_request_id(self, request_id: str) -> JobRecord | None:
        return self._one_job("request_id", request_id)

    def platform_of_job(self, job_id: str) -> str | None:
        """The platform whose asset the job belongs to (None: no such job, or no asset's)."""
        query = (
            "SELECT a.platform_id FROM jobs j JOIN assets a ON a.asset_id = j.asset_id "
            "WHERE j.job_id = %s"
        )
        with self._pool.connection() as conn:
            row = conn.execute(query.encode(), (job_id,)).fetchone()
        return None if row is None else str(row[0])

    def list_jobs(
        self,
        *,
        status: JobStatus | None = None,
        workflow_id: str | None = None,
        asset_id: str | None = None,
        platform_id: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> JobPage:
        """Jobs newest first (created_at, then job_id, descending), filtered, one page.

        ``platform_id``: only the jobs of that platform's assets. ``created_from`` is
        inclusive, ``created_to`` exclusive. Pages never overlap or skip a job that existed
        when the first page was read.
        """
        params: dict[str, Any] = {
            "status": status.value if status else None,
            "workflow_id": workflow_id,
            "asset_id": asset_id,
            "platform_id": platform_id,
            "created_from": created_from,
            "created_to": created_to,
        }
        conds = [sql.SQL(_FILTERS[key]) for key, value in params.items() if value is not None]
        items, next_cursor = _JOBS.page(
            self._pool, JobRecord, conds, params, limit=limit, cursor=cursor
        )
        return JobPage(items=items, next_cursor=next_cursor)

    def _nodes(self, query: str, params: tuple[Any, ...]) -> list[NodeRecord]:
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query.encode(), params).fetchall()
        return [NodeRecord.model_validate(r) for r in rows]

    def list_nodes(
        self, job_id: str, *, after_node: str | None = None, limit: int | None = None
    ) -> list[NodeRecord]:
        """The latest attempt of every node of the job (``attempts`` = how many), by node_id;
        only those after ``after_node``, at most ``limit``, when given."""
        query = (
            f"SELECT {_NODE_COLUMNS} FROM job_nodes_latest WHERE job_id = %s AND node_id > %s "
            "ORDER BY node_id LIMIT %s"
        )
        return self._nodes(query, (job_id, after_node or "", limit))

    def node_status_counts(self, job_id: str) -> tuple[dict[str, int], list[str]]:
        """How many nodes are in each latest recorded status, and the ids of those in flight
        (dispatched, running or waiting), at most 20 per status."""
        query = (
            "SELECT status, count(*) AS n, (array_agg(node_id ORDER BY node_id) FILTER "
            "(WHERE status IN ('dispatched', 'running', 'waiting')))[1:20] AS running "
            "FROM job_nodes_latest WHERE job_id = %s GROUP BY status"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(query.encode(), (job_id,)).fetchall()
        counts = {status: int(n) for status, n, _ in rows}
        running = sorted(node for _, _, ids in rows for node in ids or [])
        return counts, running

    def node_states(self, job_id: str) -> list[tuple[str, str]]:
        """(node_id, latest status) of every recorded node of the job, children included:
        what a live view polls, without outputs or errors."""
        query = "SELECT node_id, status FROM job_nodes_latest WHERE job_id = %s ORDER BY node_id"
        with self._pool.connection() as conn:
            rows = conn.execute(query.encode(), (job_id,)).fetchall()
        return [(str(node_id), str(status)) for node_id, status in rows]

    def job_status_counts(self, created_from: datetime) -> dict[str, int]:
        """How many jobs created since ``created_from`` are in each status."""
        query = "SELECT status, count(*) FROM jobs WHERE created_at >= %s GROUP BY status"
        with self._pool.connection() as conn:
            rows = conn.execute(query.encode(), (created_from,)).fetchall()
        return {str(status): int(n) for status, n in rows}

    def list_node_attempts(self, job_id: str, node_id: str) -> list[NodeRecord]:
        """Every attempt of one node, first attempt first."""
        query = (
            f"SELECT {_NODE_COLUMNS} FROM (SELECT n.*, count(*) OVER () AS attempts "
            "FROM job_nodes AS n WHERE job_id = %s AND node_id = %s) AS a ORDER BY attempt"
        )
        return self._nodes(query, (job_id, node_id))

    def timeline(
        self, job_id: str, after_seq: int = -1, limit: int | None = None
    ) -> list[JobEvent]:
        """The job's events in seq order (only those after ``after_seq``, for polling; at
        most ``limit`` when given)."""
        query = (
            "SELECT job_id, seq, kind, at, node_id, attempt, data FROM job_events "
            "WHERE job_id = %s AND seq > %s ORDER BY seq LIMIT %s"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query, (job_id, after_seq, limit)).fetchall()
        return [JobEvent.model_validate(r) for r in rows]

    def ping(self, timeout: float = 2.0) -> bool:
        """True if the catalog answers a query within ``timeout`` seconds (readiness)."""
        try:
            with self._pool.connection(timeout=timeout) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:  # includes the pool's PoolTimeout and PoolClosed
            return False
        return True
