"""Time helpers: every timestamp devhost writes is timezone-aware UTC ending in ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime

from dateutil import parser as date_parser


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_history_ts(moment: datetime) -> str:
    """Format for history events (ISO-8601 with microseconds and a literal ``Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_status_ts(moment: datetime) -> str:
    """Format of the status API: .NET ``"s"`` format plus ``Z`` (no fraction)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str) -> datetime:
    """Parse any ISO-8601 text; naive values are taken as UTC."""
    moment = date_parser.isoparse(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
