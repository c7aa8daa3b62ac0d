"""Errors of the blob adapter. Handlers map them to retryable / non-retryable failures.

BlobError                   base
├── InvalidBlobRef          a container, path or URL we refuse (traversal, foreign account)
├── BlobNotFound            the blob or container does not exist
├── BlobAccessDenied        the identity may not do this (RBAC, expired SAS)
└── BlobUnavailable         transient: throttling, 5xx, connection failures
    └── BlobTimeout         no answer within the time given (also a `TimeoutError`)
"""

from __future__ import annotations


class BlobError(Exception):
    """Base of every error raised by `adapters.blob`."""


class InvalidBlobRef(BlobError, ValueError):
    """A container name, blob path or URL that must never reach storage; names the bad value."""


class BlobNotFound(BlobError):
    """The container or blob does not exist."""


class BlobAccessDenied(BlobError):
    """The storage account refused the credentials or the SAS."""


class BlobUnavailable(BlobError):
    """Storage did not answer, or answered with a transient error."""


class BlobTimeout(BlobUnavailable, TimeoutError):
    """Storage did not answer within the timeout the caller gave (`BlobStore.ping`), so a
    probe bounded by the same time reports the same thing whichever gives up first."""
