"""The managed-identity path, which cannot run here: a fake stands in for the one call to
Azure (Get User Delegation Key); the SAS itself is signed by the real SDK code."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

from azure.storage.blob import BlobServiceClient, UserDelegationKey

from adapters.blob import AzureBlobStore, UserDelegationSigner
from tests.support.credentials import FakeCredential

ACCOUNT = "mainaccount1"


class FakeDelegationService:
    """Stands in for BlobServiceClient.get_user_delegation_key and records the calls."""

    account_name = ACCOUNT

    def __init__(self) -> None:
        self.calls: list[tuple[datetime, datetime]] = []

    def get_user_delegation_key(self, key_start_time: datetime, key_expiry_time: datetime):
        self.calls.append((key_start_time, key_expiry_time))
        key = UserDelegationKey()
        key.signed_oid = "11111111-1111-1111-1111-111111111111"
        key.signed_tid = "22222222-2222-2222-2222-222222222222"
        key.signed_start = key_start_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        key.signed_expiry = key_expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        key.signed_service = "b"
        key.signed_version = "2025-01-05"
        key.value = base64.b64encode(b"k" * 32).decode()
        return key


def _store(fake: FakeDelegationService) -> AzureBlobStore:
    service = BlobServiceClient(f"https://{ACCOUNT}.blob.core.windows.net", FakeCredential())
    return AzureBlobStore({ACCOUNT: service}, UserDelegationSigner({ACCOUNT: fake}))


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_read_url_is_a_user_delegation_sas_for_reading_that_blob():
    fake = FakeDelegationService()
    store = _store(fake)
    url = store.read_url(store.ref("rasters", "a/scene.tif"))
    query = _query(url)
    assert url.startswith(f"https://{ACCOUNT}.blob.core.windows.net/rasters/a/scene.tif?")
    assert query["skoid"] == "11111111-1111-1111-1111-111111111111"
    assert query["sktid"] == "22222222-2222-2222-2222-222222222222"
    assert (query["sp"], query["sr"]) == ("r", "b")
    assert query["sig"]
    assert len(fake.calls) == 1


def test_write_url_asks_for_create_and_write_only():
    store = _store(FakeDelegationService())
    query = _query(store.write_url(store.ref("outputs", "b.tif")))
    assert query["sp"] == "cw"


def test_delegation_key_is_reused_across_sas_requests():
    fake = FakeDelegationService()
    store = _store(fake)
    for name in ("a.tif", "b.tif", "c.tif"):
        store.read_url(store.ref("rasters", name))
    assert len(fake.calls) == 1


def test_sas_never_outlives_its_delegation_key():
    fake = FakeDelegationService()
    signer = UserDelegationSigner({ACCOUNT: fake}, key_lifetime=timedelta(hours=1))
    service = BlobServiceClient(f"https://{ACCOUNT}.blob.core.windows.net", FakeCredential())
    store = AzureBlobStore({ACCOUNT: service}, signer, sas_ttl=timedelta(days=2))
    query = _query(store.read_url(store.ref("rasters", "a.tif")))
    key_expiry = fake.calls[0][1].replace(microsecond=0)
    assert datetime.fromisoformat(query["se"].replace("Z", "+00:00")) <= key_expiry
