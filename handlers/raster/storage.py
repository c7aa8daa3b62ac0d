"""The blob store the raster handlers use, the containers they may read and write, and the
mapping of storage errors to handler errors."""

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
from config.settings import (
    INPUT_CONTAINERS,
    OUTPUT_CONTAINERS,
    ContainerSettings,
    StorageSettings,
)
from domain.storage import ContainerPolicy
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


@cache
def container_policy() -> ContainerPolicy:
    """The containers allowed by the environment (read once per process)."""
    return ContainerSettings.from_env().policy


def reset_blob_store() -> None:
    """Forget the cached store and policy, e.g. after the environment changed (tests)."""
    blob_store.cache_clear()
    container_policy.cache_clear()


def input_ref(store: BlobStore, container: str, path: str, param: str = "container") -> BlobRef:
    """A blob the handler reads: in an input or an output container (checked again here,
    whatever the submission was checked against)."""
    policy = container_policy()
    if not policy.may_read(container):
        allowed = sorted(policy.input_containers | policy.output_containers)
        raise _not_allowed(param, container, "read from", allowed, INPUT_CONTAINERS)
    return store.ref(container, path)


def output_ref(
    store: BlobStore, container: str, path: str, param: str = "output_container"
) -> BlobRef:
    """A blob the handler writes: in an output container only."""
    policy = container_policy()
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
