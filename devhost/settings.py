"""Settings of one devhost run: command-line options plus what `host.json` says."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from config.settings import DevhostEnvSettings

_DEFAULT_CONCURRENCY = 10 * (os.cpu_count() or 1)


class HostJson(BaseModel):
    """The parts of `host.json` devhost honours (defaults are the extension's)."""

    model_config = ConfigDict(frozen=True)

    route_prefix: str = "api"
    hub_name: str = "TestHubName"
    max_concurrent_activities: int = _DEFAULT_CONCURRENCY
    max_concurrent_orchestrators: int = _DEFAULT_CONCURRENCY
    max_entity_batch_size: int = 5000

    @classmethod
    def read(cls, app_dir: Path) -> HostJson:
        path = app_dir / "host.json"
        if not path.exists():
            return cls()
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        extensions = raw.get("extensions") or {}
        http = extensions.get("http") or {}
        durable = extensions.get("durableTask") or {}
        values: dict[str, Any] = {}
        if "routePrefix" in http:
            values["route_prefix"] = http["routePrefix"]
        hub = durable.get("hubName") or DevhostEnvSettings.from_env().site_name
        if hub:
            values["hub_name"] = _expand_app_setting(hub)
        for key, field in (
            ("maxConcurrentActivityFunctions", "max_concurrent_activities"),
            ("maxConcurrentOrchestratorFunctions", "max_concurrent_orchestrators"),
            ("maxEntityOperationBatchSize", "max_entity_batch_size"),
        ):
            if key in durable:
                values[field] = int(durable[key])
        return cls(**values)


def _expand_app_setting(value: str) -> str:
    # host.json supports %AppSetting% references.
    if value.startswith("%") and value.endswith("%") and len(value) > 2:
        return os.environ.get(value[1:-1], value)
    return value


class DevhostSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    app_dir: Path
    data_dir: Path
    port: int = 7071
    host: str = "127.0.0.1"
    require_keys: bool = False
    verbose: bool = False
    # App Service Authentication's signed-in user, injected as X-MS-CLIENT-PRINCIPAL-NAME.
    principal: str | None = None
    host_json: HostJson = HostJson()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"
