"""Local function keys, like the Functions host generates: a master key, one default function
key, and the Durable extension's system key. Kept in `<data dir>/keys.json` so tests and
scripts can read them; printed at start when `--require-keys` is on.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from pydantic import BaseModel

DURABLE_SYSTEM_KEY = "durabletask_extension"


class HostKeys(BaseModel):
    master: str
    function_default: str
    durable_system: str

    @classmethod
    def load_or_create(cls, data_dir: Path) -> HostKeys:
        path = data_dir / "keys.json"
        if path.exists():
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        keys = cls(
            master=secrets.token_urlsafe(32),
            function_default=secrets.token_urlsafe(32),
            durable_system=secrets.token_urlsafe(32),
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(keys.model_dump(), indent=2), encoding="utf-8")
        return keys

    def allows(self, auth_level: str, provided: str | None) -> bool:
        """Whether `provided` satisfies `auth_level` (anonymous, function, admin, system)."""
        level = auth_level.lower()
        if level == "anonymous":
            return True
        if not provided:
            return False
        if secrets.compare_digest(provided, self.master):
            return True
        if level == "function":
            return secrets.compare_digest(provided, self.function_default)
        if level == "system":
            return secrets.compare_digest(provided, self.durable_system)
        return False
