"""The Durable client's calls recorded, for tests of use cases and handlers that must not (or
need not) reach an orchestration host; tests/engine runs the same code on devhost."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class RecordingClient:
    """Answers like `df.DurableOrchestrationClient`: no runtime status until started."""

    def __init__(self) -> None:
        self.started: list[tuple[str, str | None, Any]] = []
        self.events: list[tuple[str, str, Any]] = []

    async def get_status(self, instance_id: str) -> Any:
        running = any(i == instance_id for _, i, _ in self.started)
        return SimpleNamespace(runtime_status="Running" if running else None)

    async def start_new(self, name: str, instance_id: str | None, client_input: Any) -> str:
        self.started.append((name, instance_id, client_input))
        return instance_id or ""

    async def raise_event(self, instance_id: str, event_name: str, event_data: Any = None) -> None:
        self.events.append((instance_id, event_name, event_data))
