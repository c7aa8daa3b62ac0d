"""How storage errors become handler errors, which containers a handler may read and write,
and what a handler reports of a blob it wrote.

The raster handlers' store is the process's `wiring.blob_store()`; the containers allowed are
`wiring.container_policy()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import wiring
from adapters.blob import (
    BlobAccessDenied,
    BlobError,
    BlobNotFound,
    BlobRef,
    BlobStore,
    BlobUnavailable,
    InvalidBlobRef,
)
from config.settings import INPUT_CONTAINERS, OUTPUT_CONTAINERS
from handlers.base import HandlerError, NonRetryableError, RetryableError
from handlers.raster.models import StoredBlob

# One table decides how each storage failure affects the node: (error class, kind).
_ERROR_KINDS: dict[type[BlobError], tuple[type[HandlerError], str]] = {
    InvalidBlobRef: (NonRetryableError, "invalid_blob_ref"),
    BlobNotFound: (NonRetryableError, "blob_not_found"),
    BlobAccessDenied: (NonRetryableError, "blob_access_denied"),
    BlobUnavailable: (RetryableError, "blob_unavailable"),
}


def input_ref(store: BlobStore, container: str, path: str, param: str = "container") -> BlobRef:
    """A blob the handler reads: in an input or an output container (checked again here,
    whatever the submission was checked against)."""
    policy = wiring.container_policy()
    if not policy.may_read(container):
        allowed = sorted(policy.input_containers | policy.output_containers)
        raise _not_allowed(param, container, "read from", allowed, INPUT_CONTAINERS)
    return store.ref(container, path)


def output_ref(
    store: BlobStore, container: str, path: str, param: str = "output_container"
) -> BlobRef:
    """A blob the handler writes: in an output container only."""
    policy = wiring.container_policy()
    if not policy.may_write(container):
        allowed = sorted(policy.output_containers)
        raise _not_allowed(param, container, "written to", allowed, OUTPUT_CONTAINERS)
    return store.ref(container, path)


def _not_allowed(
    param: str, container: str, verb: str, allowed: list[str], setting: str
) -> NonRetryableError:
    listed = ", ".join(allowed) or "none"
    return NonRetryableError(
        f"{param}: container {container!r} may not be {verb} (allowed: {listed}; see {setting})",
        kind="container_not_allowed",
    )


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
