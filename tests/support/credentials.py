"""A stand-in for azure-identity's `DefaultAzureCredential`: the same `get_token` interface,
a fixed token, and the scopes it was asked for; it never talks to Entra ID."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from azure.core.credentials import AccessToken


@dataclass
class FakeCredential:
    token: str = "token"
    lifetime_seconds: int = 3600
    scopes_requested: list[tuple[str, ...]] = field(default_factory=list)

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.scopes_requested.append(scopes)
        return AccessToken(self.token, int(time.time()) + self.lifetime_seconds)
