"""How storage errors become handler errors, and what a handler reports of a blob it wrote.

The raster handlers' store is the process's `wiring.blob_store()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.blob import (
    BlobAccessDenied,
    BlobError,
    BlobNotFound,
    BlobRef,
    BlobStore,
    BlobUnavailable,
    InvalidBlobRef,
)
from handlers.base import HandlerError, NonRetryableError, RetryableError
from handlers.raster.models import StoredBlob

# One table decides how each storage failure affects the node: (error class, kind).
_ERROR_KINDS: dict[type[BlobError], tuple[type[HandlerError], str]] = {
    InvalidBlobRef: (NonRetryableError, "invalid_blob_ref"),
    BlobNotFound: (NonRetryableError, "blob_not_found"),
    BlobAccessDenied: (NonRetryableError, "blob_access_denied"),
    BlobUnavailable: (RetryableError, "blob_unavailable"),
}


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
