"""The blob store the raster handlers use, and the mapping of storage errors to handler errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from adapters.blob import (
    BlobAccessDenied,
    BlobError,
    BlobNotFound,
    BlobRef,
    BlobStore,
    BlobUnavailable,
    InvalidBlobRef,
    open_blob_store,
)
from config.settings import StorageSettings
from handlers.base import HandlerError, NonRetryableError, RetryableError
from handlers.raster.models import StoredBlob

# One table decides how each storage failure affects the node: (error class, kind).
_ERROR_KINDS: dict[type[BlobError], tuple[type[HandlerError], str]] = {
    InvalidBlobRef: (NonRetryableError, "invalid_blob_ref"),
    BlobNotFound: (NonRetryableError, "blob_not_found"),
    BlobAccessDenied: (NonRetryableError, "blob_access_denied"),
    BlobUnavailable: (RetryableError, "blob_unavailable"),
}


@cache
def blob_store() -> BlobStore:
    """The store configured by the environment (built once per process)."""
    return open_blob_store(StorageSettings.from_env())


def reset_blob_store() -> None:
    """Forget the cached store, e.g. after the environment changed (tests)."""
    blob_store.cache_clear()


@contextmanager
def storage_errors() -> Iterator[None]:
    """Re-raise adapter errors as handler errors, keeping their message (which names the blob)."""
    try:
        yield
    except BlobError as exc:
        error_cls, kind = _ERROR_KINDS.get(type(exc), (RetryableError, "blob_error"))
        raise error_cls(str(exc), kind=kind) from exc


def stored_blob(store: BlobStore, ref: BlobRef) -> tuple[StoredBlob, str]:
    """What a handler reports of a blob it wrote (or found), and the blob's ETag."""
    info = store.info(ref)
    blob = StoredBlob(
        container=ref.container, blob_path=ref.path, url=store.url(ref), size_bytes=info.size
    )
    return blob, info.etag
