"""Newest-first listings in pages, with opaque cursors.

A listing is ordered by ``created_at`` then tie-breaking key columns, all descending; a
cursor is the position of the last row of a page (base64 JSON), and the next page starts
strictly after it, so pages never overlap or skip a row that existed when the first page
was read. ``list_jobs`` orders by (created_at, job_id); ``list_stac_items`` by (created_at,
collection, item_id).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

MAX_PAGE = 1000
Row = TypeVar("Row", bound=BaseModel)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def encode_position(created_at: datetime, *keys: str) -> str:
    raw = json.dumps([created_at.isoformat(), *keys], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(cursor: str, keys: int) -> tuple[datetime, tuple[str, ...]]:
    """The position a cursor stands for; ``ValueError`` quoting it if it is not one of ours
    (or was made for a listing with another number of ``keys``)."""
    invalid = f"Invalid cursor {cursor!r}: pass back a next_cursor unchanged."
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, *rest = json.loads(raw)
        position = datetime.fromisoformat(at), tuple(str(k) for k in rest)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(invalid) from exc
    if position[0].tzinfo is None or len(position[1]) != keys:
        raise ValueError(invalid)
    if any(_UNSTORABLE.search(k) for k in position[1]):
        raise ValueError(invalid)
    return position


@dataclass(frozen=True)
class Listing:
    """A table listed newest first: ``columns`` selected, ties broken by ``keys``."""

    table: str
    columns: str
    keys: tuple[str, ...]

    def page(
        self,
        pool: ConnectionPool,
        model: type[Row],
        where: Sequence[sql.Composable],
        params: dict[str, Any],
        *,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Row], str | None]:
        """One page of rows matching every ``where`` condition (``params`` fill them), and
        the cursor of the next page (None on the last)."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"Invalid limit {limit!r}: must be within 1..{MAX_PAGE}.")
        order = ("created_at", *self.keys)
        params = {**params, "page_limit": limit + 1}
        conditions = list(where)
        if cursor is not None:
            at, keys = decode_position(cursor, len(self.keys))
            names = [f"cursor_{i}" for i in range(len(order))]
            params.update(zip(names, (at, *keys), strict=True))
            conditions.append(
                sql.SQL("({}) < ({})").format(
                    sql.SQL(", ").join(map(sql.Identifier, order)),
                    sql.SQL(", ").join(map(sql.Placeholder, names)),
                )
            )
        query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT %(page_limit)s").format(
            sql.SQL(self.columns),
            sql.Identifier(self.table),
            sql.SQL(" AND ").join(conditions or [sql.SQL("TRUE")]),
            sql.SQL(", ").join(sql.SQL("{} DESC").format(sql.Identifier(c)) for c in order),
        )
        with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query, params).fetchall()
        items = [model.model_validate(r) for r in rows[:limit]]
        last = items[-1] if len(rows) > limit else None
        created_at = getattr(last, "created_at", None)
        if last is None or created_at is None:
            return items, None
        return items, encode_position(created_at, *(str(getattr(last, k)) for k in self.keys))


def encode_after(key: str | int) -> str:
    """A cursor for listings ordered by one key (a node id, an event seq)."""
    raw = json.dumps([key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_after(cursor: str, kind: type[str] | type[int]) -> str | int:
    """The key an `encode_after` cursor stands for; ``ValueError`` quoting it otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (key,) = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"Invalid cursor {cursor!r}: pass back a next_cursor unchanged.") from exc
    storable = _UNSTORABLE.search(key) is None if isinstance(key, str) else 0 <= key < 2**63
    if type(key) is not kind or not storable:
        raise ValueError(f"Invalid cursor {cursor!r}: pass back a next_cursor unchanged.")
    return key
