"""Durable state on disk: one SQLite database in WAL mode under the data dir.

Layout, chosen so a large fan-out stays cheap:
- `history` is append-only, one row per event, keyed (instance_id, seq); an episode appends
  its events in one batch and never rewrites earlier rows.
- `messages` is the orchestration inbox (completions, timers, raised events, starts). A timer
  is a message whose `visible_at` lies in the future, so timers survive a restart.
- `activity_items` holds scheduled activities until their completion message is written in
  the same transaction that deletes them: activities are at-least-once, results never lost.
- `entity_ops` is the entity inbox; `entities` holds entity state.

Contract: every method runs one transaction; callers use the store from one thread only (the
engine's event loop), which is what keeps the store free of locks.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.engine.history import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    parent_instance_id TEXT,
    parent_execution_id TEXT,
    parent_task_id INTEGER
);
CREATE INDEX IF NOT EXISTS instances_created ON instances (created_time);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    visible_at REAL NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_instance ON messages (instance_id, visible_at);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at);
CREATE TABLE IF NOT EXISTS activity_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT
);
CREATE TABLE IF NOT EXISTS entities (
    entity_id TEXT PRIMARY KEY,
    exists_ INTEGER NOT NULL,
    state TEXT,
    last_operation_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entity_ops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    input TEXT,
    is_signal INTEGER NOT NULL,
    request_id TEXT,
    parent_instance_id TEXT,
    visible_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS entity_ops_entity ON entity_ops (entity_id, id);
"""

TERMINAL_STATUSES = frozenset({"Completed", "Failed", "Terminated", "Canceled"})


@dataclass
class InstanceRecord:
    instance_id: str
    name: str
    execution_id: str
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: str
    last_updated_time: str
    parent_instance_id: str | None
    parent_execution_id: str | None
    parent_task_id: int | None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass
class MessageRecord:
    id: int
    instance_id: str
    execution_id: str | None
    visible_at: float
    event: Event


@dataclass
class NewMessage:
    instance_id: str
    event: Event
    execution_id: str | None = None
    visible_at: float = 0.0


@dataclass
class ActivityItem:
    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


@dataclass
class EntityOp:
    id: int
    entity_id: str
    op: str
    input: str | None
    is_signal: bool
    request_id: str | None
    parent_instance_id: str | None


@dataclass
class NewEntityOp:
    entity_id: str
    op: str
    input: str | None
    is_signal: bool
    request_id: str | None = None
    parent_instance_id: str | None = None
    visible_at: float = 0.0  # > 0 only for client signals held by the reorder test knob


@dataclass
class EntityRecord:
    entity_id: str
    exists: bool
    state: str | None
    last_operation_time: str


@dataclass
class EntityQuery:
    """`name` is the lower-cased entity name (None: every entity); times are history
    timestamps (`to_history_ts`), compared as text."""

    name: str | None = None
    last_operation_from: str | None = None
    last_operation_to: str | None = None
    after_id: str | None = None
    limit: int = 100


@dataclass
class InstanceQuery:
    created_from: str | None = None
    created_to: str | None = None
    statuses: list[str] | None = None
    prefix: str | None = None
    offset: int = 0
    limit: int | None = None


def _dumps(event: Event) -> str:
    return json.dumps(event, separators=(",", ":"))


class Store:
    """SQLite-backed state. See the module docstring for the contract."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (only an OS crash can lose the tail).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- instances --------------------------------------------------------------------
    def get_instance(self, instance_id: str) -> InstanceRecord | None:
        row = self._db.execute(
            "SELECT * FROM instances WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        return InstanceRecord(**dict(row)) if row else None

    def put_instance(self, db: sqlite3.Connection, rec: InstanceRecord) -> None:
        db.execute(
            "INSERT OR REPLACE INTO instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rec.instance_id,
                rec.name,
                rec.execution_id,
                rec.status,
                rec.input,
                rec.output,
                rec.custom_status,
                rec.created_time,
                rec.last_updated_time,
                rec.parent_instance_id,
                rec.parent_execution_id,
                rec.parent_task_id,
            ),
        )

    def query_instances(self, query: InstanceQuery) -> list[InstanceRecord]:
        clauses, params = self._where(query)
        sql = "SELECT * FROM instances"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_time, instance_id"
        if query.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [query.limit, query.offset]
        return [InstanceRecord(**dict(r)) for r in self._db.execute(sql, params)]

    @staticmethod
    def _where(query: InstanceQuery) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if query.created_from:
            clauses.append("created_time >= ?")
            params.append(query.created_from)
        if query.created_to:
            clauses.append("created_time <= ?")
            params.append(query.created_to)
        if query.statuses:
            clauses.append(f"status IN ({','.join('?' * len(query.statuses))})")
            params += query.statuses
        if query.prefix:
            clauses.append("substr(instance_id, 1, ?) = ?")
            params += [len(query.prefix), query.prefix]
        return clauses, params

    def delete_instance(self, db: sqlite3.Connection, instance_id: str) -> None:
        for table in ("instances", "history", "messages", "activity_items"):
            db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))

    # --- history ----------------------------------------------------------------------
    def load_history(self, instance_id: str) -> list[str]:
        rows = self._db.execute(
            "SELECT event FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,)
        )
        return [r[0] for r in rows]

    def append_history(
        self, db: sqlite3.Connection, instance_id: str, start_seq: int, events: Iterable[str]
    ) -> None:
        db.executemany(
            "INSERT INTO history VALUES (?,?,?)",
            [(instance_id, start_seq + i, text) for i, text in enumerate(events)],
        )

    def clear_history(self, db: sqlite3.Connection, instance_id: str) -> None:
        db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    # --- messages ---------------------------------------------------------------------
    def add_messages(self, db: sqlite3.Connection, messages: Iterable[NewMessage]) -> None:
        db.executemany(
            "INSERT INTO messages (instance_id, execution_id, visible_at, event) VALUES (?,?,?,?)",
            [(m.instance_id, m.execution_id, m.visible_at, _dumps(m.event)) for m in messages],
        )

    def visible_messages(self, instance_id: str, now: float) -> list[MessageRecord]:
        rows = self._db.execute(
            "SELECT * FROM messages WHERE instance_id = ? AND visible_at <= ? ORDER BY id",
            (instance_id, now),
        )
        return [
            MessageRecord(
                r["id"],
                r["instance_id"],
                r["execution_id"],
                r["visible_at"],
                json.loads(r["event"]),
            )
            for r in rows
        ]

    def delete_messages(self, db: sqlite3.Connection, ids: Iterable[int]) -> None:
        db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])

    def delete_timer_messages(
        self, db: sqlite3.Connection, instance_id: str, timer_ids: Iterable[int]
    ) -> None:
        db.executemany(
            "DELETE FROM messages WHERE instance_id = ? AND json_extract(event, '$.TimerId') = ?",
            [(instance_id, t) for t in timer_ids],
        )

    def delete_all_messages(self, db: sqlite3.Connection, instance_id: str) -> None:
        db.execute("DELETE FROM messages WHERE instance_id = ?", (instance_id,))

    def pending_message_times(self) -> list[tuple[str, float]]:
        """Every (instance, time) at which one of its messages becomes visible."""
        rows = self._db.execute("SELECT DISTINCT instance_id, visible_at FROM messages")
        return [(r[0], r[1]) for r in rows]

    # --- activities -------------------------------------------------------------------
    def add_activity_items(
        self, db: sqlite3.Connection, items: Iterable[tuple[str, str, int, str, str | None]]
    ) -> list[ActivityItem]:
        stored = []
        for item in items:
            cur = db.execute(
                "INSERT INTO activity_items (instance_id, execution_id, task_id, name, input) "
                "VALUES (?,?,?,?,?)",
                item,
            )
            stored.append(ActivityItem(int(cur.lastrowid or 0), *item))
        return stored

    def all_activity_items(self) -> list[ActivityItem]:
        rows = self._db.execute("SELECT * FROM activity_items ORDER BY id")
        return [ActivityItem(**dict(r)) for r in rows]

    def complete_activities(self, results: list[tuple[int, NewMessage]]) -> None:
        """Write completion messages and drop their work items in one transaction."""
        with self.transaction() as db:
            db.executemany("DELETE FROM activity_items WHERE id = ?", [(i,) for i, _ in results])
            self.add_messages(db, [m for _, m in results])

    # --- entities ---------------------------------------------------------------------
    def add_entity_ops(self, db: sqlite3.Connection, ops: Iterable[NewEntityOp]) -> None:
        db.executemany(
            "INSERT INTO entity_ops (entity_id, op, input, is_signal, request_id, "
            "parent_instance_id, visible_at) VALUES (?,?,?,?,?,?,?)",
            [
                (
                    o.entity_id,
                    o.op,
                    o.input,
                    int(o.is_signal),
                    o.request_id,
                    o.parent_instance_id,
                    o.visible_at,
                )
                for o in ops
            ],
        )

    def entity_ops(self, entity_id: str, limit: int, now: float) -> list[EntityOp]:
        """The entity's queued operations visible at `now`, in arrival order; operations held
        until the same moment (the reorder test knob) come newest first."""
        rows = self._db.execute(
            "SELECT id, entity_id, op, input, is_signal, request_id, parent_instance_id "
            "FROM entity_ops WHERE entity_id = ? AND visible_at <= ? "
            "ORDER BY visible_at, CASE WHEN visible_at > 0 THEN -id ELSE id END LIMIT ?",
            (entity_id, now, limit),
        )
        return [EntityOp(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows]

    def entities_with_ops(self) -> list[tuple[str, float]]:
        """Every entity with queued operations, and when the last of them becomes visible."""
        rows = self._db.execute(
            "SELECT entity_id, MAX(visible_at) FROM entity_ops GROUP BY entity_id"
        )
        return [(r[0], r[1]) for r in rows]

    def get_entity(self, entity_id: str) -> EntityRecord | None:
        row = self._db.execute(
            "SELECT * FROM entities WHERE entity_id = ?", (entity_id,)
        ).fetchone()
        if row is None:
            return None
        return EntityRecord(row[0], bool(row[1]), row[2], row[3])

    def query_entities(self, query: EntityQuery) -> list[EntityRecord]:
        """Existing entities matching `query`, ordered by entity id (keyset paging). The name
        must match exactly: no entity name contains `@`, so such a name matches nothing."""
        if query.name is not None and "@" in query.name:
            return []
        prefix = "@" if query.name is None else f"@{query.name}@"
        clauses = ["exists_ = 1", "substr(entity_id, 1, ?) = ?"]
        params: list[Any] = [len(prefix), prefix]
        for clause, value in (
            ("entity_id > ?", query.after_id),
            ("last_operation_time >= ?", query.last_operation_from),
            ("last_operation_time <= ?", query.last_operation_to),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        sql = f"SELECT * FROM entities WHERE {' AND '.join(clauses)} ORDER BY entity_id LIMIT ?"
        rows = self._db.execute(sql, [*params, query.limit])
        return [EntityRecord(r[0], bool(r[1]), r[2], r[3]) for r in rows]

    def save_entity_batch(
        self,
        entity: EntityRecord,
        done_op_ids: list[int],
        responses: list[NewMessage],
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO entities VALUES (?,?,?,?)",
                (entity.entity_id, int(entity.exists), entity.state, entity.last_operation_time),
            )
            db.executemany("DELETE FROM entity_ops WHERE id = ?", [(i,) for i in done_op_ids])
            self.add_messages(db, responses)
