"""Activity execution: a bounded pool, at-least-once, completions written in batches.

Contract: `dispatch(item)` runs the activity once `maxConcurrentActivityFunctions` allows;
its result becomes a TaskCompleted/TaskFailed message. The message and the deletion of the
work item are committed together by a single writer that drains every completion waiting at
that moment into one transaction (a fan-out of thousands costs a few dozen commits).
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from typing import TYPE_CHECKING, Any

import httpx
from azure.functions import meta
from azure.functions._durable_functions import df_dumps
from azure.functions.durable_functions import ActivityTriggerConverter

from devhost.bindings import function_kwargs
from devhost.engine import history as h
from devhost.engine.replay import HTTP_ACTIVITY
from devhost.store import ActivityItem, NewMessage
from devhost.timeutil import utcnow

if TYPE_CHECKING:
    from devhost.app_loader import FunctionIndex
    from devhost.engine.effects import Scheduler
    from devhost.engine.invoker import Invoker
    from devhost.keys import HostKeys
    from devhost.settings import DevhostSettings
    from devhost.store import Store

log = logging.getLogger("devhost")


class ActivityRunner:
    def __init__(
        self,
        store: Store,
        index: FunctionIndex,
        invoker: Invoker,
        settings: DevhostSettings,
        keys: HostKeys,
        scheduler: Scheduler,
    ) -> None:
        self.store = store
        self.index = index
        self.invoker = invoker
        self.settings = settings
        self.keys = keys  # for the durable client binding of an activity
        self.scheduler = scheduler
        self._semaphore = asyncio.Semaphore(settings.host_json.max_concurrent_activities)
        self._completions: asyncio.Queue[tuple[int, NewMessage]] = asyncio.Queue()

    def start(self) -> None:
        self.scheduler.spawn(self._writer())

    def dispatch(self, item: ActivityItem) -> None:
        self.scheduler.spawn(self._run(item))

    async def _run(self, item: ActivityItem) -> None:
        async with self._semaphore:
            try:
                result = await self._invoke(item)
                event = h.task_completed(utcnow(), item.task_id, _result_json(result))
            except Exception as exc:
                reason = f"Activity function '{item.name}' failed: {type(exc).__name__}: {exc}"
                # One JSON line with a "Message" of the form "<Type>: <message>", which is
                # what scripts written against Azure parse (azure-functions-durable-extension
                # issue #2990).
                details = json.dumps(
                    {
                        "ClassName": type(exc).__name__,
                        "Message": f"{type(exc).__name__}: {exc}",
                        "StackTraceString": _user_stack(exc),
                    }
                )
                log.warning(
                    "activity %s for %s failed: %s: %s",
                    item.name,
                    item.instance_id,
                    type(exc).__name__,
                    exc,
                )
                event = h.task_failed(utcnow(), item.task_id, reason, details)
        msg = NewMessage(item.instance_id, event, item.execution_id)
        await self._completions.put((item.id, msg))

    async def _invoke(self, item: ActivityItem) -> Any:
        if item.name == HTTP_ACTIVITY:
            return await _call_http(json.loads(item.input or "null"))
        info = self.index.activity(item.name)
        if info is None:
            raise LookupError(f"The function '{item.name}' doesn't exist or is not an activity.")
        datum = meta.Datum(type="json", value=item.input if item.input is not None else "null")
        value = ActivityTriggerConverter.decode(datum, trigger_metadata=None)
        kwargs = function_kwargs(info, value, self.settings, self.keys)
        return await self.invoker.call(info.fn, kwargs, self.invoker.activity_pool)

    async def _writer(self) -> None:
        while True:
            batch = [await self._completions.get()]
            while not self._completions.empty():
                batch.append(self._completions.get_nowait())
            try:
                self.store.complete_activities(batch)
            except Exception:
                log.exception("could not record %d activity completion(s)", len(batch))
                continue
            self.scheduler.route_messages([m for _, m in batch])


def _user_stack(exc: BaseException) -> str:
    # Hide devhost's and the thread pool's frames: the stack should point at user code.
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if "/devhost/" not in f.filename
        and "/concurrent/" not in f.filename
        and "/asyncio/" not in f.filename
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(exc)
    return "".join(lines)


def _result_json(result: Any) -> str | None:
    if result is None:
        return None  # the host does not store a JSON null result
    return json.dumps(json.loads(df_dumps(result)), separators=(",", ":"))


async def _call_http(request: dict[str, Any]) -> dict[str, Any]:
    # The built-in HTTP activity behind context.call_http: one call, no 202 polling.
    content = request.get("content")
    async with httpx.AsyncClient(timeout=100) as client:
        response = await client.request(
            request.get("method", "GET"),
            request["uri"],
            headers=request.get("headers") or {},
            content=content if content is None or isinstance(content, str) else json.dumps(content),
        )
    return {
        "statusCode": response.status_code,
        "headers": dict(response.headers),
        "content": response.text,
    }
