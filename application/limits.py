"""Request and engine limits, read from the app settings.

Until the settings catalogue lands they live here, in one place:

| setting | default | what |
|---|---|---|
| `DAGMASTER_MAX_BODY_BYTES` | 1048576 | largest request body; a bigger one is a 413 |
| `DAGMASTER_MAX_FAN_OUT` | 10000 | widest fan-out: at submit when known, and in the evaluator |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Limits(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_fan_out: int = Field(default=10_000, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """Read from ``env`` (default ``os.environ``); a malformed value names its setting."""
        env = os.environ if env is None else env
        names = {
            "max_body_bytes": "DAGMASTER_MAX_BODY_BYTES",
            "max_fan_out": "DAGMASTER_MAX_FAN_OUT",
        }
        given = {field: env[name] for field, name in names.items() if env.get(name)}
        try:
            return cls.model_validate(given)
        except ValidationError as exc:
            problems = "; ".join(f"{names[str(e['loc'][0])]}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"Invalid limit settings: {problems}") from None


@cache
def limits() -> Limits:
    return Limits.from_env()
