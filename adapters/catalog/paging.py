"""Opaque listing cursors: the position (created_at, then tie-breaking keys) of the last row
of a page. ``list_jobs`` uses (created_at, job_id); ``list_stac_items`` (created_at,
collection, item_id)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime

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


def encode_cursor(created_at: datetime, job_id: str) -> str:
    return encode_position(created_at, job_id)


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, job_id) a ``list_jobs`` cursor stands for."""
    at, (job_id,) = decode_position(cursor, 1)
    return at, job_id


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
