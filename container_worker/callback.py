"""Raises a task's result as an external event on its orchestration (Durable HTTP API).

``POST {base}/runtime/webhooks/durabletask/instances/{id}/raiseEvent/{event}?taskHub=&code=``
with the `TaskResult` as the JSON body. Outcomes:

    202                       accepted                     -> `Delivery.ACCEPTED`
    404 / 410                 instance unknown or finished -> `Delivery.INSTANCE_GONE`
    connection error, 5xx,    transient: retried with exponential back-off and jitter;
    429, timeout              when attempts run out        -> raises `CallbackUnavailable`
    any other status          permanent                    -> raises `CallbackRejected`
"""

from __future__ import annotations

import enum
import logging
from urllib.parse import quote

import httpx
from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from config.settings import CallbackSettings
from domain.tasks import ReplyTo, TaskResult, TaskStarted

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


FINISHED_RUNTIME_STATUSES = frozenset({"Completed", "Failed", "Terminated", "Canceled"})


class Delivery(enum.Enum):
    ACCEPTED = "accepted"
    INSTANCE_GONE = "instance_gone"


class CallbackError(RuntimeError):
    """Base of the callback failures."""


class CallbackRejected(CallbackError):
    """The host refused the event for a reason that retrying will not fix."""


class CallbackUnavailable(CallbackError):
    """The host stayed unreachable or failing through every retry."""


class CallbackKeyRefused(CallbackError):
    """The host refused the system key (401/403): no callback of this worker can succeed."""


# An instance id no job has: reading its status costs nothing and reveals nothing.
KEY_CHECK_INSTANCE = "dagmaster-worker-key-check"


class _Transient(Exception):
    """A failure worth another attempt (connection error, 5xx, 429)."""


class EventCallback:
    """Thread-safe: the worker raises events from a thread pool."""

    def __init__(self, settings: CallbackSettings, client: httpx.Client | None = None) -> None:
        self._settings = settings
        self._client = client or httpx.Client(timeout=settings.request_timeout_seconds)

    def instance_url(self, reply_to: ReplyTo) -> str:
        base = self._settings.base_url.rstrip("/")
        instance = quote(reply_to.instance_id, safe="")
        return f"{base}/runtime/webhooks/durabletask/instances/{instance}"

    def url(self, reply_to: ReplyTo) -> str:
        event = quote(reply_to.event_name, safe="")
        return f"{self.instance_url(reply_to)}/raiseEvent/{event}"

    def raise_event(self, reply_to: ReplyTo, result: TaskResult | TaskStarted) -> Delivery:
        retrying = Retrying(
            stop=stop_after_attempt(self._settings.max_attempts),
            wait=wait_exponential_jitter(
                multiplier=self._settings.backoff_initial_seconds,
                max=self._settings.backoff_max_seconds,
                jitter=self._settings.backoff_initial_seconds,
            ),
            retry=retry_if_exception_type(_Transient),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        try:
            return retrying(self._post, reply_to, result)
        except _Transient as exc:
            raise CallbackUnavailable(
                f"raising {reply_to.event_name} on {reply_to.instance_id} failed "
                f"{self._settings.max_attempts} times; last: {exc}"
            ) from exc

    def instance_finished(self, reply_to: ReplyTo) -> bool:
        """Whether the orchestration waiting for this task has certainly ended (completed,
        failed, terminated: e.g. its job was cancelled). Any doubt (an error, an unknown
        answer) says no, so the task runs."""
        base = self._settings.base_url.rstrip("/")
        url = (
            f"{base}/runtime/webhooks/durabletask/instances/{quote(reply_to.instance_id, safe='')}"
        )
        try:
            response = self._client.get(url, params=self._params(reply_to), timeout=5)
            status = response.json().get("runtimeStatus") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return False
        return status in FINISHED_RUNTIME_STATUSES

    def check_key(self) -> None:
        """Raise `CallbackKeyRefused` if the Durable API refuses this worker's key (checked
        at start-up, so a wrong key fails loudly instead of leaving every job waiting for
        its node timeout). An unreachable host is only logged: the app may start later."""
        reply_to = ReplyTo(instance_id=KEY_CHECK_INSTANCE, event_name="key-check")
        try:
            response = self._client.get(
                self.instance_url(reply_to), params=self._params(reply_to), timeout=10
            )
        except httpx.TransportError as exc:
            log.warning("Durable API at %s not reachable yet: %s", self._settings.base_url, exc)
            return
        if response.status_code in (401, 403):
            given = "the key given" if self._settings.system_key else "no key"
            raise CallbackKeyRefused(
                f"the Durable API at {self._settings.base_url} refused {given} "
                f"(HTTP {response.status_code}): set DAGMASTER_DURABLE_SYSTEM_KEY to the app's "
                "durabletask_extension system key (devhost --require-keys: `durable_system` "
                "in <data dir>/keys.json)"
            )

    def close(self) -> None:
        self._client.close()

    def _params(self, reply_to: ReplyTo) -> dict[str, str]:
        params: dict[str, str] = {}
        task_hub = reply_to.task_hub or self._settings.task_hub
        if task_hub:
            params["taskHub"] = task_hub
        if self._settings.system_key:
            params["code"] = self._settings.system_key
        return params

    def _post(self, reply_to: ReplyTo, result: TaskResult | TaskStarted) -> Delivery:
        try:
            response = self._client.post(
                self.url(reply_to),
                params=self._params(reply_to),
                json=result.model_dump(mode="json"),
            )
        except httpx.TransportError as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 202:
            return Delivery.ACCEPTED
        if status in (404, 410):
            return Delivery.INSTANCE_GONE
        if status in TRANSIENT_STATUSES:
            raise _Transient(f"HTTP {status}: {response.text[:200]}")
        raise CallbackRejected(
            f"raising {reply_to.event_name} on {reply_to.instance_id} was refused: "
            f"HTTP {status}: {response.text[:500]}"
        )
