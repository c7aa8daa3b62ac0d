"""The opaque cursor of ``list_jobs``: the (created_at, job_id) of the last row of a page."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime


def encode_cursor(created_at: datetime, job_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), job_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor stands for; ``ValueError`` quoting it if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, job_id = json.loads(raw)
        position = datetime.fromisoformat(at), str(job_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"Invalid cursor {cursor!r}: pass back a next_cursor unchanged.") from exc
    if position[0].tzinfo is None:
        raise ValueError(f"Invalid cursor {cursor!r}: pass back a next_cursor unchanged.")
    return position
