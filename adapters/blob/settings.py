"""Blob storage settings, read from environment variables (the Functions app settings).

Exactly one of the two ways to reach storage must be configured; a missing or ambiguous
configuration is a start-up error naming the variables, never a silent default.

    DAGMASTER_STORAGE_CONNECTION_STRING   Azurite or an account key: SAS tokens are signed
                                          with the account key.
    DAGMASTER_STORAGE_ACCOUNT_URL         https://<account>.blob.core.windows.net with managed
                                          identity (DefaultAzureCredential): SAS tokens are
                                          user-delegation SAS.
    DAGMASTER_STORAGE_ALLOWED_ACCOUNTS    optional, comma-separated: further accounts whose
                                          URLs are accepted (managed identity only). The
                                          configured account is always allowed.
    DAGMASTER_STORAGE_SAS_TTL_MINUTES     optional, lifetime of issued SAS URLs (default 60).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from pydantic import BaseModel, Field, SecretStr, model_validator

from adapters.blob.refs import check_account

ENV_CONNECTION_STRING = "DAGMASTER_STORAGE_CONNECTION_STRING"
ENV_ACCOUNT_URL = "DAGMASTER_STORAGE_ACCOUNT_URL"
ENV_ALLOWED_ACCOUNTS = "DAGMASTER_STORAGE_ALLOWED_ACCOUNTS"
ENV_SAS_TTL = "DAGMASTER_STORAGE_SAS_TTL_MINUTES"


class BlobSettingsError(RuntimeError):
    """The storage configuration is missing or contradictory (raised at start-up)."""


class BlobSettings(BaseModel):
    """How to reach blob storage. Build with `from_env` in the app, directly in tests."""

    connection_string: SecretStr | None = None
    account_url: str | None = None
    extra_allowed_accounts: tuple[str, ...] = ()
    sas_ttl_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> BlobSettings:
        if (self.connection_string is None) == (self.account_url is None):
            raise ValueError(
                f"set exactly one of {ENV_CONNECTION_STRING} (Azurite, account key) or "
                f"{ENV_ACCOUNT_URL} (managed identity)"
            )
        if self.account_url is not None:
            parsed = urlparse(self.account_url)
            if parsed.scheme != "https" or not parsed.hostname:
                raise ValueError(
                    f"{ENV_ACCOUNT_URL} must be an https URL, got {self.account_url!r}"
                )
        for account in self.extra_allowed_accounts:
            check_account(account)
        if self.connection_string is not None and self.extra_allowed_accounts:
            raise ValueError(
                f"{ENV_ALLOWED_ACCOUNTS} needs managed identity ({ENV_ACCOUNT_URL}): an account "
                "key only signs for its own account"
            )
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BlobSettings:
        env = os.environ if env is None else env
        extra = env.get(ENV_ALLOWED_ACCOUNTS, "")
        values: dict[str, object] = {
            "connection_string": env.get(ENV_CONNECTION_STRING) or None,
            "account_url": env.get(ENV_ACCOUNT_URL) or None,
            "extra_allowed_accounts": tuple(a.strip() for a in extra.split(",") if a.strip()),
        }
        if env.get(ENV_SAS_TTL):
            values["sas_ttl_minutes"] = env[ENV_SAS_TTL]
        try:
            return cls.model_validate(values)
        except ValueError as exc:
            raise BlobSettingsError(f"invalid blob storage settings: {exc}") from exc
