"""Signed callbacks to B2B platforms: the version event, its signature, and when to retry.

A platform whose registry entry names a ``callback`` gets one POST per version event, JSON,
signed like Stripe's and GitHub's webhooks::

    Dagmaster-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

Delivery is at least once: an event keeps its ``event_id`` across attempts (receivers
deduplicate on it), events of one asset go out in order, and `next_step` decides after each
attempt whether the event is delivered, waits (exponential back-off) or is given up.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

SIGNATURE_HEADER = "Dagmaster-Signature"
EVENT_ID_HEADER = "Dagmaster-Event-Id"
EVENT_TYPE_HEADER = "Dagmaster-Event-Type"
# Statuses worth another attempt besides 5xx: the receiver asked us to come back.
_RETRYABLE_4XX = frozenset({408, 429})


class EventType(StrEnum):
    PROCESSING_COMPLETED = "version.processing_completed"
    PROCESSING_FAILED = "version.processing_failed"
    APPROVED = "version.approved"
    REJECTED = "version.rejected"
    PUBLISHED = "asset.published"
    UNPUBLISHED = "asset.unpublished"
    PUBLICATION_FAILED = "asset.publication_failed"
    DELETED = "asset.deleted"


class VersionEvent(BaseModel):
    """The body of one callback (a version of an asset, and what just happened to it)."""

    event_id: str
    type: EventType
    occurred_at: datetime
    platform_id: str
    request_id: str | None = None
    asset_id: str
    version_ordinal: int | None = None
    identifiers: dict[str, str] = Field(description="the platform's own identity fields")
    version_label: str | None = None
    state: dict[str, Any] = Field(description="processing, approval, clearance, deleted")
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


_SETTING_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class CallbackDefinition(BaseModel):
    """A registry entry's ``callback``: where to POST (``url``, or ``url_setting``: the app
    setting holding the URL, since it differs per deployment) and which app setting holds
    the signing secret."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str | None = Field(default=None, min_length=1)
    url_setting: str | None = Field(default=None, pattern=_SETTING_NAME)
    secret_setting: str = Field(pattern=_SETTING_NAME)

    @model_validator(mode="after")
    def _one_url(self) -> CallbackDefinition:
        if (self.url is None) == (self.url_setting is None):
            raise ValueError(
                "give exactly one of url and url_setting (the app setting holding the URL)"
            )
        return self


class SendTo(BaseModel):
    """Events of the platform are recorded for this URL."""

    kind: Literal["send"] = "send"
    url: str


class NoCallback(BaseModel):
    """Nothing is sent: no callback, or its ``url_setting`` (named here) is unset."""

    kind: Literal["none"] = "none"
    unset_setting: str | None = None


class BadCallbackUrl(BaseModel):
    """The URL held by ``setting`` cannot be a callback URL: events are not recorded."""

    kind: Literal["bad_url"] = "bad_url"
    setting: str
    problem: str


def destination(
    callback: CallbackDefinition | None, configured: str | None
) -> SendTo | NoCallback | BadCallbackUrl:
    """Where a platform's events go. ``configured``: the value of ``callback.url_setting``
    (None: unset or blank); a registry ``url`` was checked when the registry loaded."""
    if callback is None:
        return NoCallback()
    if callback.url is not None:
        return SendTo(url=callback.url)
    assert callback.url_setting is not None  # one of the two: _one_url
    if configured is None or not configured.strip():
        return NoCallback(unset_setting=callback.url_setting)
    if problem := url_problem(configured.strip()):
        return BadCallbackUrl(setting=callback.url_setting, problem=problem)
    return SendTo(url=configured.strip())


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a callback URL (None: it can): http(s) with a host only. The
    message never repeats credentials written into the URL (it is logged)."""
    parts = urlsplit(url)
    shown = repr(_without_credentials(url))
    if parts.scheme not in ("http", "https"):
        return f"callback url {shown}: only http and https are allowed"
    if not parts.hostname:
        return f"callback url {shown} has no host"
    if parts.username or parts.password:
        return f"callback url {shown}: credentials in the URL are not allowed (use the secret)"
    return None


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


def same_origin(url: str, other: str) -> bool:
    """Whether a redirect from ``url`` to ``other`` stays on the same scheme, host and port."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``Dagmaster-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and its timestamp is recent (no replay)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(expected, fields.get("v1", ""))


class RetryPolicy(BaseModel):
    max_attempts: int = Field(ge=1)
    initial_seconds: float = Field(ge=0)
    max_seconds: float = Field(ge=0)
    coefficient: float = Field(default=2.0, ge=1)

    def delay(self, attempt: int) -> timedelta:
        """The wait after failed attempt ``attempt`` (1-based): initial * coefficient^(n-1),
        capped."""
        seconds = self.initial_seconds * self.coefficient ** (attempt - 1)
        return timedelta(seconds=min(seconds, self.max_seconds))


class AttemptResult(BaseModel):
    """What one POST came to: an HTTP status, or no answer (timeout, refused, bad redirect)."""

    attempt: int = Field(ge=1)
    status_code: int | None = None
    error: str | None = None


def retryable(result: AttemptResult) -> bool:
    """Timeouts and connection failures, 5xx, 408 and 429 are worth another attempt."""
    code = result.status_code
    return code is None or code >= 500 or code in _RETRYABLE_4XX


class Delivered(BaseModel):
    kind: Literal["delivered"] = "delivered"


class RetryAfter(BaseModel):
    kind: Literal["retry"] = "retry"
    delay_seconds: float


class GiveUp(BaseModel):
    kind: Literal["give_up"] = "give_up"
    reason: str


def next_step(result: AttemptResult, policy: RetryPolicy) -> Delivered | RetryAfter | GiveUp:
    """After an attempt: delivered on 2xx; a retryable failure waits unless attempts are
    spent; any other answer (other 4xx, 3xx not followed) is given up at once."""
    code = result.status_code
    if code is not None and 200 <= code < 300:
        return Delivered()
    what = f"HTTP {code}" if code is not None else (result.error or "no answer")
    if not retryable(result):
        return GiveUp(reason=f"{what}: not retried")
    if result.attempt >= policy.max_attempts:
        return GiveUp(reason=f"{what} after {result.attempt} attempts")
    return RetryAfter(delay_seconds=policy.delay(result.attempt).total_seconds())


class DeliveryInput(BaseModel):
    """The delivery orchestration's input: which asset, the runner's generation (see
    `delivery_instance_id`), and the retry policy of the app's settings (read here, in an
    activity, since an orchestrator reads no settings)."""

    asset_id: str
    policy: RetryPolicy
    generation: int = Field(default=0, ge=0)


class CloseCallbacks(BaseModel):
    """What an idle runner asks before it ends (`close_callbacks`)."""

    asset_id: str
    generation: int = Field(ge=0)


class SendCallback(BaseModel):
    event_id: str
    attempt: int
    policy: RetryPolicy


class EmitCallbacks(BaseModel):
    """What the command orchestration hands `emit_callbacks`."""

    events: list[VersionEvent]


def delivery_instance_id(asset_id: str, generation: int = 0) -> str:
    """The delivery orchestration of an asset (events of one asset go out in order): one
    generation at a time; a generation ends only once nothing is pending, and a later event
    starts the next (``callbacks-<asset_id>`` for generation 0, then ``.1``, ``.2`` ...)."""
    return f"callbacks-{asset_id}" + (f".{generation}" if generation else "")
