"""Arguments for a user function: its trigger value, each durable client binding, and a
`context` when the function declares one (as the Python worker passes them)."""

from __future__ import annotations

from typing import Any

from devhost.app_loader import FunctionInfo
from devhost.client_binding import client_binding_json
from devhost.engine.invoker import InvocationContext, wants_context
from devhost.keys import HostKeys
from devhost.settings import DevhostSettings


def function_kwargs(
    info: FunctionInfo, trigger_value: Any, settings: DevhostSettings, keys: HostKeys
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {info.trigger["name"]: trigger_value}
    for binding in info.bindings:
        if binding.get("type") == "durableClient":
            kwargs[binding["name"]] = client_binding_json(settings, keys, binding.get("taskHub"))
    if wants_context(info.fn) and "context" not in kwargs:
        kwargs["context"] = InvocationContext(info.name, str(settings.app_dir))
    return kwargs
