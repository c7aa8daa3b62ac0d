"""Import a v2-model Functions app and index its functions by trigger type.

Contract: `load_app(app_dir)` imports `<app_dir>/function_app.py` (with `app_dir` first on
`sys.path`), reads the module's `app` object (`func.FunctionApp` or `df.DFApp`) through
`get_functions()`, and returns a `FunctionIndex`. Durable names are registered from the
trigger's alias property when set, else the function name, and looked up case-insensitively.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("devhost")


@dataclass
class FunctionInfo:
    name: str
    trigger_type: str
    trigger: dict[str, Any]
    bindings: list[dict[str, Any]]
    fn: Any  # what the worker invokes: get_user_function()


@dataclass
class FunctionIndex:
    http: list[FunctionInfo] = field(default_factory=list)
    orchestrators: dict[str, FunctionInfo] = field(default_factory=dict)
    activities: dict[str, FunctionInfo] = field(default_factory=dict)
    entities: dict[str, FunctionInfo] = field(default_factory=dict)
    timers: list[FunctionInfo] = field(default_factory=list)
    unsupported: list[FunctionInfo] = field(default_factory=list)

    def orchestrator(self, name: str) -> FunctionInfo | None:
        return self.orchestrators.get(name.lower())

    def activity(self, name: str) -> FunctionInfo | None:
        return self.activities.get(name.lower())

    def entity(self, name: str) -> FunctionInfo | None:
        return self.entities.get(name.lower())


class AppLoadError(Exception):
    """The function app could not be imported or indexed."""


def load_local_settings(app_dir: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Copy `local.settings.json` `Values` into `environ` without overriding; return keys set."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return []
    values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    applied = []
    for key, value in values.items():
        if key not in environ:
            environ[key] = str(value)
            applied.append(key)
    return applied


def import_app_module(app_dir: Path) -> Any:
    script = app_dir / "function_app.py"
    if not script.exists():
        raise AppLoadError(f"No function_app.py in {app_dir}: pass --app-dir DIR.")
    sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location("function_app", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["function_app"] = module
    spec.loader.exec_module(module)
    return module


def _find_app(module: Any) -> Any:
    app = getattr(module, "app", None)
    if app is not None and hasattr(app, "get_functions"):
        return app
    for value in vars(module).values():
        if hasattr(value, "get_functions") and not isinstance(value, type):
            return value
    raise AppLoadError("function_app.py defines no FunctionApp/DFApp object (expected `app`).")


def index_functions(app: Any) -> FunctionIndex:
    index = FunctionIndex()
    for function in app.get_functions():
        bindings = [b.get_dict_repr() for b in function.get_bindings()]
        trigger = function.get_trigger().get_dict_repr()
        info = FunctionInfo(
            name=function.get_function_name(),
            trigger_type=trigger["type"],
            trigger=trigger,
            bindings=bindings,
            fn=function.get_user_function(),
        )
        _register(index, info)
    return index


def _register(index: FunctionIndex, info: FunctionInfo) -> None:
    kind = info.trigger_type
    if kind == "httpTrigger":
        index.http.append(info)
    elif kind == "orchestrationTrigger":
        index.orchestrators[(info.trigger.get("orchestration") or info.name).lower()] = info
    elif kind == "activityTrigger":
        index.activities[(info.trigger.get("activity") or info.name).lower()] = info
        # call_activity(<function object>) sends the Python __name__ (SDK quirk).
        py_name = getattr(info.fn, "__name__", info.name).lower()
        index.activities.setdefault(py_name, info)
    elif kind == "timerTrigger":
        index.timers.append(info)
    elif kind == "entityTrigger":
        index.entities[(info.trigger.get("entityName") or info.name).lower()] = info
    else:
        index.unsupported.append(info)


def load_app(app_dir: Path) -> FunctionIndex:
    module = import_app_module(app_dir)
    index = index_functions(_find_app(module))
    for info in index.unsupported:
        log.warning(
            "function %s has a %s trigger, which devhost does not serve",
            info.name,
            info.trigger_type,
        )
    return index
