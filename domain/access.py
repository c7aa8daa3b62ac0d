"""Who may call what: platforms act on their own assets only, reviewers act on all.

Each caller presents one key (header ``X-Dagmaster-Key``). A platform's key is held by the
app setting its registry entry names (``api_key_setting``); the reviewers' key by
``DAGMASTER_REVIEWER_KEY``. With ``DAGMASTER_ACCESS=open`` (the default, for local runs)
every caller is let through as before. On Azure the target is an Entra app registration per
platform (App Service Authentication validates its token and the app id names the
platform) and an app role for reviewers; `identify` is where that mapping goes.

    rule            platform (own assets only)          reviewer
    submit          yes, for its own platform_id        no
    read            its own requests and assets         everything
    review          no (approve, reject, reprocess,     yes
                    clearance, delete)
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

KEY_HEADER = "x-dagmaster-key"


class Rule(StrEnum):
    SUBMIT = "submit"
    READ = "read"
    REVIEW = "review"


class Caller(BaseModel):
    kind: Literal["open", "platform", "reviewer"]
    platform_id: str | None = None

    @property
    def own_platform(self) -> str | None:
        """The one platform whose assets this caller may see (None: no restriction)."""
        return self.platform_id if self.kind == "platform" else None


OPEN = Caller(kind="open")


class Denied(BaseModel):
    status: Literal[401, 403]
    message: str


def identify(
    key: str | None, platform_keys: Mapping[str, bytes], reviewer_key: bytes | None
) -> Caller | None:
    """The caller a key belongs to (None: no key, or one nobody holds). Constant-time
    comparisons, every key compared."""
    if not key:
        return None
    given, found = key.encode(), None
    if reviewer_key and hmac.compare_digest(given, reviewer_key):
        found = Caller(kind="reviewer")
    for platform_id, expected in sorted(platform_keys.items()):
        if expected and hmac.compare_digest(given, expected):
            found = Caller(kind="platform", platform_id=platform_id)
    return found


def authorize(caller: Caller | None, rule: Rule, platform_id: str | None = None) -> Denied | None:
    """None if ``caller`` may do ``rule`` (``platform_id``: the platform a submission names)."""
    if caller is None:
        return Denied(status=401, message=f"a valid key is required (header {KEY_HEADER})")
    if caller.kind in ("open",):
        return None
    if rule is Rule.READ:
        return None  # what a platform sees is narrowed to its own (`Caller.own_platform`)
    if rule is Rule.SUBMIT:
        if caller.kind != "platform":
            return Denied(status=403, message="submissions need a platform's key")
        if platform_id != caller.platform_id:
            return Denied(
                status=403,
                message=f"this key is platform '{caller.platform_id}''s: it cannot submit "
                f"for '{platform_id}'",
            )
        return None
    if caller.kind != "reviewer":
        return Denied(status=403, message="reviewer and operator actions need a reviewer key")
    return None
