"""Local function keys, like the Functions host generates: a master key, one default function
key, and the Durable extension's system key. Kept in `<data dir>/keys.json` (mode 0600, the
owner only) so tests and scripts can read them; never written to the log.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel

DURABLE_SYSTEM_KEY = "durabletask_extension"


def keys_path(data_dir: Path) -> Path:
    return data_dir / "keys.json"


class HostKeys(BaseModel):
    master: str
    function_default: str
    durable_system: str

    @classmethod
    def load_or_create(cls, data_dir: Path) -> HostKeys:
        path = keys_path(data_dir)
        if path.exists():
            path.chmod(0o600)  # a file written by an older devhost was world-readable
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        keys = cls(
            master=secrets.token_urlsafe(32),
            function_default=secrets.token_urlsafe(32),
            durable_system=secrets.token_urlsafe(32),
        )
        data_dir.mkdir(parents=True, exist_ok=True)
        # Created with mode 0600 at once, so the keys are never readable by others.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(keys.model_dump(), indent=2))
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
