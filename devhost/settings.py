"""Settings of one devhost run: command-line options plus what `host.json` says."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import DevhostEnvSettings

_DEFAULT_CONCURRENCY = 10 * (os.cpu_count() or 1)


_DURABLE_KEYS = {
    "maxConcurrentActivityFunctions": "max_concurrent_activities",
    "maxConcurrentOrchestratorFunctions": "max_concurrent_orchestrators",
    "maxEntityOperationBatchSize": "max_entity_batch_size",
}


class HostJsonError(ValueError):
    """host.json is not valid JSON; the message names the line and column."""


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
        """The file's settings; `HostJsonError` (``host.json: line L column C: ...``) when it
        is not a JSON object."""
        path = app_dir / "host.json"
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HostJsonError(
                f"host.json: line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        if not isinstance(raw, dict):
            raise HostJsonError("host.json: line 1 column 1: expected a JSON object")
        extensions = _object(raw, "extensions")
        http = _object(extensions, "http", "extensions.")
        durable = _object(extensions, "durableTask", "extensions.")
        values: dict[str, Any] = {}
        if "routePrefix" in http:
            values["route_prefix"] = http["routePrefix"]
        hub = durable.get("hubName") or DevhostEnvSettings.from_env().site_name
        if hub:
            values["hub_name"] = _expand_app_setting(str(hub))
        for key, field in _DURABLE_KEYS.items():
            if key in durable:
                values[field] = durable[key]
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            keys = {f: f"extensions.durableTask.{k}" for k, f in _DURABLE_KEYS.items()}
            key = keys.get(str(first["loc"][0]), "extensions.http.routePrefix")
            raise HostJsonError(f"host.json: {key}: {first['msg']}") from None


def _object(parent: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = parent.get(key) or {}
    if not isinstance(value, dict):
        raise HostJsonError(f"host.json: {where}{key}: expected a JSON object")
    return value


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
    # A fresh secret per process, in the path of the client binding's `rpcBaseUrl`: only
    # code devhost runs (the SDK's client) knows it, as only the Functions host's own
    # processes reach the extension's local RPC listener on Azure. Never logged or stored.
    rpc_token: str = Field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"
