"""Run user code off the server's event loop, the way the Python worker does.

Sync functions run in thread pools (one per role, so blocking activities cannot starve
orchestrator episodes or HTTP triggers); coroutine functions run on a dedicated "user" event
loop in its own thread, so user code that blocks never blocks the HTTP server.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import azure.functions as func


class InvocationContext(func.Context):
    """The `context` argument the worker passes to functions that declare one."""

    def __init__(self, function_name: str, function_directory: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._function_directory = function_directory

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> type[threading.local]:
        return threading.local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> Any:
        return None

    @property
    def retry_context(self) -> Any:
        return None


def wants_context(fn: Callable[..., Any]) -> bool:
    try:
        return "context" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Invoker:
    def __init__(self, activity_workers: int, orchestrator_workers: int) -> None:
        self.activity_pool = ThreadPoolExecutor(activity_workers, "devhost-activity")
        self.orchestrator_pool = ThreadPoolExecutor(orchestrator_workers, "devhost-orch")
        self.entity_pool = ThreadPoolExecutor(4, "devhost-entity")
        self.http_pool = ThreadPoolExecutor(16, "devhost-http")
        self.user_loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.user_loop.run_forever, name="devhost-user-loop", daemon=True
        )
        self._thread.start()

    async def call(
        self, fn: Callable[..., Any], kwargs: dict[str, Any], pool: ThreadPoolExecutor
    ) -> Any:
        if inspect.iscoroutinefunction(fn):
            future = asyncio.run_coroutine_threadsafe(fn(**kwargs), self.user_loop)
            return await asyncio.wrap_future(future)
        result = await asyncio.get_running_loop().run_in_executor(pool, partial(fn, **kwargs))
        if inspect.isawaitable(result):
            future = asyncio.run_coroutine_threadsafe(_await(result), self.user_loop)
            return await asyncio.wrap_future(future)
        return result

    def shutdown(self) -> None:
        self.user_loop.call_soon_threadsafe(self.user_loop.stop)
        for pool in (self.activity_pool, self.orchestrator_pool, self.entity_pool, self.http_pool):
            pool.shutdown(wait=False, cancel_futures=True)


async def _await(awaitable: Any) -> Any:
    return await awaitable
