"""Entity execution: queued operations run in batches, one batch at a time per entity.

Contract: `kick(entity_id)` ensures one loop runs for the entity; it takes up to
`maxEntityOperationBatchSize` queued operations, runs them through the SDK's batch protocol,
and commits the new state, the removal of those operations and the responses to callers
(EventRaised named after each request id) in one transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
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


def split_entity_id(entity_id: str) -> tuple[str, str]:
    """`@name@key` -> (name, key)."""
    _, name, key = entity_id.split("@", 2)
    return name, key


def entity_instance_id(name: str, key: str) -> str:
    return f"@{name.lower()}@{key}"


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

    async def _loop(self, entity_id: str) -> None:
        try:
            while True:
                self._dirty.discard(entity_id)
                limit = self.settings.host_json.max_entity_batch_size
                ops = self.store.entity_ops(entity_id, limit)
                if not ops:
                    if entity_id in self._dirty:
                        continue
                    break
                await self._run_batch(entity_id, ops)
        except Exception:
            log.exception("entity loop of %s crashed", entity_id)
        finally:
            self._running.discard(entity_id)

    async def _run_batch(self, entity_id: str, ops: list[EntityOp]) -> None:
        store = self.store
        name, key = split_entity_id(entity_id)
        record = store.get_entity(entity_id) or EntityRecord(entity_id, False, None, "")
        info = self.index.entity(name)
        if info is None:
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
            results = state.get("results") or []
        record.exists = bool(state.get("entityExists"))
        record.state = state.get("entityState") if record.exists else None
        record.last_operation_time = to_history_ts(utcnow())
        responses = self._responses(ops, results)
        store.save_entity_batch(record, [o.id for o in ops], responses)
        for op, result in zip(ops, results, strict=False):
            if result.get("isError"):
                log.warning(
                    "entity %s operation '%s' failed: %s", entity_id, op.op, result.get("result")
                )
        self.scheduler.route_messages(responses)

    async def _call_sdk(self, fn: Any, request: str, count: int) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            try:
                state: dict[str, Any] = json.loads(fn(func.EntityContext(request)))
                return state
            except Exception as exc:
                failed = {"isError": True, "result": json.dumps(str(exc))}
                return {"entityExists": False, "entityState": None, "results": [failed] * count}

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.invoker.entity_pool, run)

    @staticmethod
    def _responses(ops: list[EntityOp], results: list[dict[str, Any]]) -> list[NewMessage]:
        now = utcnow()
        messages = []
        for op, result in zip(ops, results, strict=False):
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
