"""AzureBlobStore against a real Azurite."""

import os
import socket
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from adapters.blob import (
    BlobNotFound,
    BlobStore,
    BlobTimeout,
    BlobUnavailable,
    InvalidBlobRef,
    open_blob_store,
)
from config import SettingsError
from config.settings import StorageSettings
from tests.handlers.conftest import OUTPUTS
from tests.support.azurite import Azurite


def test_bytes_uploaded_are_downloaded_unchanged(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/roundtrip.bin")
    store.upload_bytes(ref, b"\x00\x01payload", content_type="application/octet-stream")
    assert store.download_bytes(ref) == b"\x00\x01payload"
    assert store.info(ref).content_type == "application/octet-stream"


def test_file_upload_and_download_stream_through_local_files(store: BlobStore, tmp_path: Path):
    source = tmp_path / "in.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    ref = store.ref(OUTPUTS, "store/file.bin")
    store.upload_file(ref, source)
    store.download_file(ref, tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == source.read_bytes()
    assert store.info(ref).size == 256 * 4096


def test_file_larger_than_a_block_goes_up_in_8_mib_blocks_unchanged(
    store: BlobStore, tmp_path: Path
):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(20 * 1024 * 1024))
    ref = store.ref(OUTPUTS, "store/big.bin")
    store.upload_file(ref, source)
    client = store._client(ref)  # type: ignore[attr-defined]
    committed, _ = client.get_block_list("committed")
    assert [block.size for block in committed] == [8 << 20, 8 << 20, 4 << 20]
    store.download_file(ref, tmp_path / "back.bin")
    assert (tmp_path / "back.bin").read_bytes() == source.read_bytes()


def test_read_url_reads_the_blob_without_other_credentials(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/readable.txt")
    store.upload_bytes(ref, b"hello")
    with urllib.request.urlopen(store.read_url(ref)) as response:
        assert response.read() == b"hello"


def test_read_url_cannot_write(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/read-only.txt")
    store.upload_bytes(ref, b"original")
    with pytest.raises(urllib.error.HTTPError) as raised:
        _put(store.read_url(ref), b"overwritten")
    assert raised.value.code == 403
    assert store.download_bytes(ref) == b"original"


def test_write_url_creates_the_blob(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/written-by-url.txt")
    _put(store.write_url(ref), b"from a SAS")
    assert store.download_bytes(ref) == b"from a SAS"


def test_missing_blob_is_blob_not_found_naming_it(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/absent.tif")
    with pytest.raises(BlobNotFound, match=r"store/absent\.tif"):
        store.info(ref)
    assert not store.exists(ref)


def test_deleted_blob_is_gone_and_deleting_it_again_is_blob_not_found(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/deleted.txt")
    store.upload_bytes(ref, b"soon gone")
    store.delete(ref)
    assert not store.exists(ref)
    with pytest.raises(BlobNotFound, match=r"store/deleted\.txt"):
        store.delete(ref)


def test_ping_answers_for_the_configured_account(store: BlobStore):
    assert store.ping() is True


def test_ping_of_an_unreachable_account_is_blob_unavailable():
    dead = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    dead += "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    store = open_blob_store(StorageSettings(connection_string=dead))
    with pytest.raises(BlobUnavailable, match="devstoreaccount1"):
        store.ping()


def test_an_account_url_naming_no_account_is_refused_at_start_naming_the_setting():
    settings = StorageSettings(account_url="https://files.example.org")
    with pytest.raises(SettingsError, match=r"DAGMASTER_STORAGE_ACCOUNT_URL.*names no storage"):
        open_blob_store(settings)


def test_the_managed_identity_account_is_the_one_the_url_names():
    settings = StorageSettings(account_url="https://dagdata.blob.core.windows.net")
    assert open_blob_store(settings).allowed_accounts == {"dagdata"}


def test_ping_of_an_account_that_never_answers_is_a_timeout_within_the_time_given():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}/devstoreaccount1"
        hung = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        store = open_blob_store(
            StorageSettings(connection_string=f"{hung}BlobEndpoint={endpoint};")
        )
        with pytest.raises(BlobTimeout, match=r"no answer within 0\.5 s") as raised:
            store.ping(timeout=0.5)
    assert isinstance(raised.value, BlobUnavailable) and isinstance(raised.value, TimeoutError)


def _new_container() -> str:
    return f"created-{uuid.uuid4().hex[:12]}"


def test_upload_bytes_creates_a_missing_container(store: BlobStore):
    ref = store.ref(_new_container(), "on/demand.txt")
    store.upload_bytes(ref, b"first write")
    assert store.download_bytes(ref) == b"first write"


def test_upload_file_creates_a_missing_container(store: BlobStore, tmp_path: Path):
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * 8192)
    ref = store.ref(_new_container(), "on/demand.bin")
    store.upload_file(ref, source)
    assert store.info(ref).size == source.stat().st_size


def test_writers_racing_to_create_one_container_all_succeed(azurite: Azurite):
    container, writers = _new_container(), 8
    stores = [
        open_blob_store(StorageSettings(connection_string=azurite.connection_string))
        for _ in range(writers)
    ]
    start = threading.Barrier(writers)

    def write(i: int) -> None:
        start.wait()
        stores[i].upload_bytes(stores[i].ref(container, f"racer-{i}.txt"), str(i).encode())

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    for i, racer in enumerate(stores):
        assert racer.download_bytes(racer.ref(container, f"racer-{i}.txt")) == str(i).encode()


def test_url_on_the_configured_account_resolves_to_its_blob(store: BlobStore):
    ref = store.ref(OUTPUTS, "store/some dir/scene.tif")
    assert store.ref_from_url(store.read_url(ref)) == ref


def test_url_on_a_foreign_account_is_rejected(store: BlobStore):
    with pytest.raises(InvalidBlobRef, match="not on an allowed storage account"):
        store.ref_from_url("https://evil.blob.core.windows.net/rasters/scene.tif")


def test_url_with_traversal_is_rejected_naming_the_path(store: BlobStore):
    url = store.url(store.ref(OUTPUTS, "x.tif")).replace("x.tif", "a/../../x.tif")
    with pytest.raises(InvalidBlobRef, match=r"'a/\.\./\.\./x\.tif'"):
        store.ref_from_url(url)


def test_ref_on_an_account_not_allowed_is_rejected(store: BlobStore):
    with pytest.raises(InvalidBlobRef, match="'otheraccount' is not allowed"):
        store.ref(OUTPUTS, "x.tif", account="otheraccount")


def _put(url: str, data: bytes) -> None:
    request = urllib.request.Request(
        url, data=data, method="PUT", headers={"x-ms-blob-type": "BlockBlob"}
    )
    urllib.request.urlopen(request).close()
