"""SAS signing: with an account key (Azurite, key-based accounts) or a user delegation key
(managed identity). Both produce the query string of a blob-scoped SAS."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from azure.storage.blob import UserDelegationKey, generate_blob_sas

from adapters.blob.refs import BlobRef

# Storage and the caller's clocks may disagree by a few minutes; start SAS validity earlier.
CLOCK_SKEW = timedelta(minutes=5)


class SasSigner(Protocol):
    """Signs a blob-scoped SAS for ``permission`` (``"r"``, ``"cw"``) valid until ``expiry``."""

    def sign(self, ref: BlobRef, permission: str, expiry: datetime) -> str: ...


class AccountKeySigner:
    """Signs with a shared account key. Only for the key's own account."""

    def __init__(self, account_name: str, account_key: str) -> None:
        self._account = account_name
        self._key = account_key

    def sign(self, ref: BlobRef, permission: str, expiry: datetime) -> str:
        if ref.account != self._account:
            raise ValueError(f"the account key of {self._account!r} cannot sign for {ref}")
        return generate_blob_sas(
            ref.account,
            ref.container,
            ref.path,
            account_key=self._key,
            permission=permission,
            expiry=expiry,
            start=datetime.now(UTC) - CLOCK_SKEW,
        )


class DelegationKeySource(Protocol):
    """What `UserDelegationSigner` needs from a `BlobServiceClient` (its account's client)."""

    def get_user_delegation_key(
        self, key_start_time: datetime, key_expiry_time: datetime
    ) -> UserDelegationKey: ...


class UserDelegationSigner:
    """Signs user-delegation SAS tokens with keys obtained by the managed identity.

    A delegation key is requested per account and reused until it has less than
    ``key_lifetime / 2`` left, so a burst of SAS requests costs one call to storage. The
    identity needs "Storage Blob Delegator" (or a data role that includes it) on the account.
    """

    def __init__(
        self,
        services: dict[str, DelegationKeySource],
        key_lifetime: timedelta = timedelta(hours=6),
    ) -> None:
        self._services = services
        self._lifetime = key_lifetime
        self._keys: dict[str, tuple[UserDelegationKey, datetime]] = {}
        self._lock = threading.Lock()

    def sign(self, ref: BlobRef, permission: str, expiry: datetime) -> str:
        key, key_expiry = self._key_for(ref.account)
        return generate_blob_sas(
            ref.account,
            ref.container,
            ref.path,
            user_delegation_key=key,
            permission=permission,
            # A SAS cannot outlive the delegation key that signed it.
            expiry=min(expiry, key_expiry),
            start=datetime.now(UTC) - CLOCK_SKEW,
        )

    def _key_for(self, account: str) -> tuple[UserDelegationKey, datetime]:
        with self._lock:
            now = datetime.now(UTC)
            cached = self._keys.get(account)
            if cached is not None and cached[1] - now > self._lifetime / 2:
                return cached
            service = self._services.get(account)
            if service is None:
                raise ValueError(f"no blob service configured for account {account!r}")
            expiry = now + self._lifetime
            key = service.get_user_delegation_key(now - CLOCK_SKEW, expiry)
            self._keys[account] = (key, expiry)
            return key, expiry
