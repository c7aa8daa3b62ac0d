"""What the runners and the engine exchange, in a leaf module both import: the work a
committed transaction makes runnable, and the small part of the engine a runner may call."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from devhost.store import ActivityItem, NewMessage


@dataclass
class Effects:
    """What a committed transaction asks the engine to start."""

    activities: list[ActivityItem] = field(default_factory=list)
    messages: list[NewMessage] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)


class Scheduler(Protocol):
    """The engine as a runner sees it: it runs tasks on its event loop and starts what a
    commit made runnable (episodes, activities, entity batches, timers)."""

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...

    def route_messages(self, messages: list[NewMessage]) -> None: ...

    def after_commit(self, effects: Effects) -> None: ...
