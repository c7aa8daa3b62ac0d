"""``CallbackCatalog``: the callback deliveries (one row per event) and their attempts.

An event is recorded once (``event_id`` is the key, so a replayed enqueue changes nothing)
with the exact body that every attempt sends; attempts update the row's counters and last
outcome; `next_pending` hands the delivery orchestration the asset's oldest pending event.

Waking and closing the asset's delivery orchestration meet on one row (``callback_runners``)
under its lock: `close_if_idle` ends a generation only if nothing is pending at that moment,
and `runner_to_wake` (called after the events are recorded) opens the next generation if the
current one closed. Whichever comes second sees what the first did, so an event recorded as
a runner finishes is either seen by it or wakes a new one.
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from pydantic import AwareDatetime, BaseModel

_COLUMNS = (
    "event_id, seq, asset_id, platform_id, event_type, url, secret_setting, body, status, "
    "attempts, last_status_code, last_error, last_attempt_at, finished_at, created_at"
)


class DeliveryRecord(BaseModel):
    event_id: str
    seq: int
    asset_id: str
    platform_id: str
    event_type: str
    url: str
    secret_setting: str
    body: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    created_at: AwareDatetime


class CallbackCatalog:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def enqueue(
        self,
        *,
        event_id: str,
        asset_id: str,
        platform_id: str,
        event_type: str,
        url: str,
        secret_setting: str,
        body: str,
    ) -> bool:
        """Record a pending event; False if it was already recorded (left as it is)."""
        query = (
            "INSERT INTO callback_deliveries (event_id, asset_id, platform_id, event_type, url,"
            " secret_setting, body) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (event_id) DO NOTHING"
        )
        values = (event_id, asset_id, platform_id, event_type, url, secret_setting, body)
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(query.encode(), values)
            return cur.rowcount > 0

    def get(self, event_id: str) -> DeliveryRecord | None:
        query = f"SELECT {_COLUMNS} FROM callback_deliveries WHERE event_id = %s"
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query.encode(), (event_id,)).fetchone()
        return None if row is None else DeliveryRecord.model_validate(row)

    def next_pending(self, asset_id: str) -> DeliveryRecord | None:
        """The asset's oldest event still pending (None: all delivered or given up)."""
        query = (
            f"SELECT {_COLUMNS} FROM callback_deliveries WHERE asset_id = %s "
            "AND status = 'pending' ORDER BY seq LIMIT 1"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query.encode(), (asset_id,)).fetchone()
        return None if row is None else DeliveryRecord.model_validate(row)

    def record_attempt(
        self,
        event_id: str,
        attempt: int,
        status_code: int | None,
        error: str | None,
        final_status: str | None,
    ) -> None:
        """One attempt's outcome; ``final_status`` (delivered or failed) ends the event.
        ``attempts`` never goes down (a replayed activity records the same attempt twice)."""
        query = (
            "UPDATE callback_deliveries SET attempts = GREATEST(attempts, %s),"
            " last_status_code = %s, last_error = %s, last_attempt_at = now(),"
            " status = COALESCE(%s, status),"
            " finished_at = CASE WHEN %s::text IS NULL THEN finished_at ELSE now() END"
            " WHERE event_id = %s AND status = 'pending'"
        )
        values = (attempt, status_code, error, final_status, final_status, event_id)
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.execute(query.encode(), values)

    def runner_to_wake(self, asset_id: str) -> int:
        """The generation of the asset's delivery orchestration to start or wake, after its
        events were recorded: the current one while it is open, else the next (opened)."""
        with self._pool.connection() as conn, conn.cursor() as cur:
            generation, is_open = self._lock_runner(cur, asset_id)
            if not is_open:
                generation += 1
                cur.execute(
                    b"UPDATE callback_runners SET generation = %s, open = true, updated_at = now()"
                    b" WHERE asset_id = %s",
                    (generation, asset_id),
                )
            return generation

    def close_if_idle(self, asset_id: str, generation: int) -> str | None:
        """For the runner ``generation`` about to end: the oldest pending event if one arrived
        (it must go on), else None, and the runner is closed (a later wake-up starts the next
        generation). A runner of an older generation (its close retried after a newer one
        opened) gets None and closes nothing: it ends, and only the newer one sends."""
        with self._pool.connection() as conn, conn.cursor() as cur:
            current, _ = self._lock_runner(cur, asset_id)
            if current != generation:
                return None  # closed before (a retried call): the newer generation sends
            pending = cur.execute(
                b"SELECT event_id FROM callback_deliveries WHERE asset_id = %s"
                b" AND status = 'pending' ORDER BY seq LIMIT 1",
                (asset_id,),
            ).fetchone()
            if pending is not None:
                return str(pending[0])
            cur.execute(
                b"UPDATE callback_runners SET open = false, updated_at = now() WHERE asset_id = %s",
                (asset_id,),
            )
            return None

    @staticmethod
    def _lock_runner(cur: Any, asset_id: str) -> tuple[int, bool]:
        # A missing row is generation 0, open: the runner of an asset from before this table.
        cur.execute(
            b"INSERT INTO callback_runners (asset_id) VALUES (%s) ON CONFLICT DO NOTHING",
            (asset_id,),
        )
        row = cur.execute(
            b"SELECT generation, open FROM callback_runners WHERE asset_id = %s FOR UPDATE",
            (asset_id,),
        ).fetchone()
        return int(row[0]), bool(row[1])

    def list_for_asset(self, asset_id: str) -> list[DeliveryRecord]:
        """Every event of the asset, oldest first."""
        query = f"SELECT {_COLUMNS} FROM callback_deliveries WHERE asset_id = %s ORDER BY seq"
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query.encode(), (asset_id,)).fetchall()
        return [DeliveryRecord.model_validate(r) for r in rows]
