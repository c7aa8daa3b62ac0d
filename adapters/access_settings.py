"""Settings that decide who may reach what: link base, probe timeout, allowed containers,
the catalog reconciler's schedule. Read from environment variables (the app settings);
kept together so that they move as one into the app's settings catalogue.

    DAGMASTER_PUBLIC_BASE_URL          base of the links in responses (`Location`, `links`),
                                       e.g. https://dagmaster.example.org. Default: from the
                                       host's own name, https://$WEBSITE_HOSTNAME (http for
                                       localhost / 127.0.0.1, as devhost and Core Tools set
                                       it), else links are relative (`/api/jobs/<id>`).
                                       Never the request's Host header.
    DAGMASTER_PROBE_TIMEOUT_SECONDS    the longest each `readyz` dependency check may take
                                       (default 3).
    DAGMASTER_INPUT_CONTAINERS         comma list: containers a workflow input declared
                                       `storage: input` may name (default: none).
    DAGMASTER_OUTPUT_CONTAINERS        comma list: containers a workflow input declared
                                       `storage: output` may name (default: none).
                                       Handlers read from input or output containers and
                                       write to output containers only. Containers named
                                       `dagmaster-*` are the engine's own and never allowed.
    DAGMASTER_RECONCILE_SCHEDULE       NCRONTAB schedule of the timer that marks jobs whose
                                       Durable instance ended unseen (terminated, failed
                                       outside the orchestrator, purged); read when the app
                                       starts (default every minute: 0 */1 * * * *).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.blob.refs import check_container
from domain.storage import ContainerPolicy

ENGINE_CONTAINER_PREFIX = "dagmaster-"
ENV_PUBLIC_BASE_URL = "DAGMASTER_PUBLIC_BASE_URL"
ENV_PROBE_TIMEOUT = "DAGMASTER_PROBE_TIMEOUT_SECONDS"
ENV_INPUT_CONTAINERS = "DAGMASTER_INPUT_CONTAINERS"
ENV_OUTPUT_CONTAINERS = "DAGMASTER_OUTPUT_CONTAINERS"
ENV_RECONCILE_SCHEDULE = "DAGMASTER_RECONCILE_SCHEDULE"
DEFAULT_RECONCILE_SCHEDULE = "0 */1 * * * *"


class AccessSettingsError(ValueError):
    """An access setting is invalid; the message names the variable."""


def _split(raw: str) -> frozenset[str]:
    return frozenset(c.strip() for c in raw.split(",") if c.strip())


class AccessSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    public_base_url: str | None = None
    probe_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    input_containers: frozenset[str] = frozenset()
    output_containers: frozenset[str] = frozenset()

    @field_validator("public_base_url")
    @classmethod
    def _absolute_url(cls, url: str | None) -> str | None:
        if url is not None:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
                raise ValueError(f"expected an http(s) URL without a query, got {url!r}")
        return url

    @field_validator("input_containers", "output_containers")
    @classmethod
    def _not_the_engines(cls, containers: frozenset[str]) -> frozenset[str]:
        for name in containers:
            check_container(name)
            if name.startswith(ENGINE_CONTAINER_PREFIX):
                raise ValueError(f"{name!r} is one of the engine's own containers")
        return containers

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AccessSettings:
        env = os.environ if env is None else env
        values: dict[str, object] = {
            "public_base_url": _base_url(env),
            "input_containers": _split(env.get(ENV_INPUT_CONTAINERS, "")),
            "output_containers": _split(env.get(ENV_OUTPUT_CONTAINERS, "")),
        }
        if env.get(ENV_PROBE_TIMEOUT, "").strip():
            values["probe_timeout_seconds"] = env[ENV_PROBE_TIMEOUT]
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            names = {
                "public_base_url": ENV_PUBLIC_BASE_URL,
                "probe_timeout_seconds": ENV_PROBE_TIMEOUT,
                "input_containers": ENV_INPUT_CONTAINERS,
                "output_containers": ENV_OUTPUT_CONTAINERS,
            }
            problems = "; ".join(
                f"{names.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in exc.errors()
            )
            raise AccessSettingsError(f"invalid access settings: {problems}") from None

    @property
    def containers(self) -> ContainerPolicy:
        return ContainerPolicy(self.input_containers, self.output_containers)

    def link(self, path: str) -> str:
        """An absolute link to ``path`` (``/api/...``) when a base is known, else ``path``."""
        return (self.public_base_url or "") + path


def _base_url(env: Mapping[str, str]) -> str | None:
    configured = env.get(ENV_PUBLIC_BASE_URL, "").strip()
    if configured:
        return configured.rstrip("/")
    hostname = env.get("WEBSITE_HOSTNAME", "").strip()
    if not hostname:
        return None
    local = hostname.split(":")[0] in {"localhost", "127.0.0.1"}
    return f"{'http' if local else 'https'}://{hostname}"


def reconcile_schedule(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get(ENV_RECONCILE_SCHEDULE, "").strip() or DEFAULT_RECONCILE_SCHEDULE
