"""Entity execution: queued operations run in batches, one batch at a time per entity.

Contract: `kick(entity_id)` ensures one loop runs for the entity; it takes up to
`maxEntityOperationBatchSize` queued operations, runs them through the SDK's batch protocol,
and commits the new state, the removal of those operations and the responses to callers
(EventRaised named after each request id) in one transaction.

An operation that raises is the SDK's business: it reports that operation as failed and goes
on with the next one, keeping whatever state the operation had set (no rollback). A failure
of the *batch* (the SDK raised, or answered something that is not a batch result, e.g. when
the state cannot be serialised) commits nothing: the state and the queued operations stay as
they were and the batch runs again after a back-off, as the extension aborts and retries the
work item on Azure. After `len(RETRY_DELAYS)` failed attempts in a row the entity rests until
a new operation arrives for it or devhost restarts; the operations stay queued.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import azure.functions as func

from devhost.engine import history as h
from devhost.store import EntityOp, EntityRecord, NewMessage
from devhost.timeutil import to_history_ts, utcnow

if TYPE_CHECKING:
    from devhost.app_loader import FunctionIndex
    from devhost.engine.effects import Scheduler
    from devhost.engine.invoker import Invoker
    from devhost.settings import DevhostSettings
    from devhost.store import Store

log = logging.getLogger("devhost")

# Seconds to wait before each new attempt of a failed batch; its length bounds the attempts.
RETRY_DELAYS: tuple[float, ...] = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0)


def retry_delay(failures: int) -> float | None:
    """Seconds before the next attempt after `failures` failed attempts in a row; None once
    the attempts are used up."""
    return RETRY_DELAYS[failures - 1] if 0 < failures <= len(RETRY_DELAYS) else None


class BatchFailed(Exception):
    """The worker could not run an entity batch; nothing of it may be committed."""


def split_entity_id(entity_id: str) -> tuple[str, str]:
    """`@name@key` -> (name, key)."""
    _, name, key = entity_id.split("@", 2)
    return name, key


def entity_instance_id(name: str, key: str) -> str:
    return f"@{name.lower()}@{key}"


def parse_batch_result(text: Any, count: int) -> dict[str, Any]:
    """The SDK's answer to a batch of `count` operations, checked the way the extension
    reads it (`OutOfProcResult`); raises BatchFailed when it is not one."""
    try:
        result = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise BatchFailed(f"the entity function returned no valid JSON: {exc}") from exc
    if not isinstance(result, dict):
        raise BatchFailed(f"the entity function returned {type(result).__name__}, not an object")
    results = result.get("results")
    if not isinstance(results, list) or len(results) != count:
        got = len(results) if isinstance(results, list) else "no"
        raise BatchFailed(f"the entity function returned {got} results for {count} operations")
    if not all(isinstance(r, dict) for r in results):
        raise BatchFailed("the entity function returned a result that is not an object")
    state = result.get("entityState")
    if not isinstance(result.get("entityExists"), bool) or not (
        state is None or isinstance(state, str)
    ):
        raise BatchFailed("the entity function returned no valid entityExists/entityState")
    return result


class EntityRunner:
    def __init__(
        self,
        store: Store,
        index: FunctionIndex,
        invoker: Invoker,
        settings: DevhostSettings,
        scheduler: Scheduler,
    ) -> None:
        self.store = store
        self.index = index
        self.invoker = invoker
        self.settings = settings
        self.scheduler = scheduler
        self._running: set[str] = set()
        self._dirty: set[str] = set()

    def kick(self, entity_id: str) -> None:
        if entity_id in self._running:
            self._dirty.add(entity_id)
            return
        self._running.add(entity_id)
        self.scheduler.spawn(self._loop(entity_id))

    def kick_at(self, entity_id: str, at: float) -> None:
        """Kick the entity again at `at` (epoch seconds), when held operations turn visible."""
        delay = at - time.time()
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.kick, entity_id)

    async def _loop(self, entity_id: str) -> None:
        failures = 0
        try:
            while True:
                self._dirty.discard(entity_id)
                limit = self.settings.host_json.max_entity_batch_size
                ops = self.store.entity_ops(entity_id, limit, time.time())
                if not ops:
                    if entity_id in self._dirty:
                        continue
                    break
                try:
                    await self._run_batch(entity_id, ops)
                    failures = 0
                except BatchFailed as exc:
                    failures += 1
                    if not await self._back_off(entity_id, len(ops), failures, exc):
                        break
        except Exception:
            log.exception("entity loop of %s crashed", entity_id)
        finally:
            self._running.discard(entity_id)

    @staticmethod
    async def _back_off(entity_id: str, count: int, failures: int, exc: BatchFailed) -> bool:
        """Wait before the next attempt; False once the attempts are used up."""
        delay = retry_delay(failures)
        if delay is None:
            log.error(
                "entity %s: batch of %d operation(s) failed %d times (%s); the state and the "
                "queued operations are kept, and the batch runs again when the entity gets "
                "a new operation or devhost restarts",
                entity_id,
                count,
                failures,
                exc,
            )
            return False
        log.warning(
            "entity %s: batch of %d operation(s) failed (attempt %d): %s; state kept, "
            "retrying in %.1fs",
            entity_id,
            count,
            failures,
            exc,
            delay,
        )
        await asyncio.sleep(delay)
        return True

    async def _run_batch(self, entity_id: str, ops: list[EntityOp]) -> None:
        store = self.store
        name, key = split_entity_id(entity_id)
        record = store.get_entity(entity_id) or EntityRecord(entity_id, False, None, "")
        info = self.index.entity(name)
        if info is None:
            # As the extension does for a missing entity function: every operation fails,
            # deterministically, and the batch is not retried.
            error = f"The function '{name}' doesn't exist, is disabled, or is not an entity."
            results: list[dict[str, Any]] = [
                {"isError": True, "result": json.dumps(error)} for _ in ops
            ]
            state: dict[str, Any] = {"entityExists": record.exists, "entityState": record.state}
        else:
            request = json.dumps(
                {
                    "self": {"name": name, "key": key},
                    "exists": record.exists,
                    "state": record.state,
                    "batch": [
                        {"name": o.op, "input": o.input, "isSignal": o.is_signal} for o in ops
                    ],
                }
            )
            state = await self._call_sdk(info.fn, request, len(ops))
            results = state["results"]
        record.exists = state["entityExists"]
        record.state = state.get("entityState") if record.exists else None
        record.last_operation_time = to_history_ts(utcnow())
        responses = self._responses(ops, results)
        store.save_entity_batch(record, [o.id for o in ops], responses)
        for op, result in zip(ops, results, strict=True):
            if result.get("isError"):
                log.warning(
                    "entity %s operation '%s' failed: %s", entity_id, op.op, result.get("result")
                )
        self.scheduler.route_messages(responses)

    async def _call_sdk(self, fn: Any, request: str, count: int) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            try:
                text = fn(func.EntityContext(request))
            except Exception as exc:
                raise BatchFailed(f"{type(exc).__name__}: {exc}") from exc
            return parse_batch_result(text, count)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.invoker.entity_pool, run)

    @staticmethod
    def _responses(ops: list[EntityOp], results: list[dict[str, Any]]) -> list[NewMessage]:
        now = utcnow()
        messages = []
        for op, result in zip(ops, results, strict=True):
            if op.is_signal or not op.parent_instance_id or not op.request_id:
                continue
            body: dict[str, Any] = {"result": result.get("result")}
            if result.get("isError"):
                body["exceptionType"] = "Error"
            messages.append(
                NewMessage(
                    op.parent_instance_id, h.event_raised(now, op.request_id, json.dumps(body))
                )
            )
        return messages
