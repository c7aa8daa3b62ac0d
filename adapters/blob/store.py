"""The blob storage interface the handlers use; `AzureBlobStore` implements it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from adapters.blob.errors import BlobNotFound, InvalidBlobRef
from adapters.blob.refs import BlobRef


@dataclass(frozen=True)
class BlobInfo:
    size: int
    etag: str
    content_type: str | None


class BlobStore(ABC):
    """Blob access for one or more allowed storage accounts.

    Every method takes a `BlobRef` obtained from `ref` or `ref_from_url`, which validate the
    container and path and refuse accounts that are not configured. URLs returned by
    `read_url` / `write_url` carry a short-lived SAS scoped to that one blob.
    """

    @property
    @abstractmethod
    def default_account(self) -> str: ...

    @property
    @abstractmethod
    def allowed_accounts(self) -> frozenset[str]: ...

    def ref(self, container: str, path: str, account: str | None = None) -> BlobRef:
        """A validated reference; ``account`` defaults to the configured account."""
        account = account or self.default_account
        if account not in self.allowed_accounts:
            allowed = ", ".join(sorted(self.allowed_accounts))
            raise InvalidBlobRef(f"storage account {account!r} is not allowed (allowed: {allowed})")
        return BlobRef.of(account, container, path)

    @abstractmethod
    def ref_from_url(self, url: str) -> BlobRef:
        """The blob a URL names, if it is on an allowed account; else `InvalidBlobRef`."""

    @abstractmethod
    def url(self, ref: BlobRef) -> str:
        """The blob's canonical URL, without any credential (for catalogs and STAC hrefs)."""

    @abstractmethod
    def read_url(self, ref: BlobRef) -> str:
        """An HTTPS (HTTP for Azurite) URL that reads the blob without other credentials."""

    @abstractmethod
    def write_url(self, ref: BlobRef) -> str:
        """A URL that may create or overwrite the blob (PUT Blob / Put Block)."""

    def gdal_path(self, ref: BlobRef) -> str:
        """A path GDAL opens with HTTP range reads (``/vsicurl/`` over `read_url`)."""
        return "/vsicurl/" + self.read_url(ref)

    @abstractmethod
    def info(self, ref: BlobRef) -> BlobInfo:
        """Size, ETag and content type; `BlobNotFound` if absent."""

    def exists(self, ref: BlobRef) -> bool:
        try:
            self.info(ref)
        except BlobNotFound:
            return False
        return True

    @abstractmethod
    def upload_bytes(self, ref: BlobRef, data: bytes, content_type: str | None = None) -> None:
        """Create or overwrite the blob with ``data``; a missing container is created."""

    @abstractmethod
    def upload_file(self, ref: BlobRef, path: Path, content_type: str | None = None) -> None:
        """Create or overwrite the blob from a local file, streamed in blocks; a missing
        container is created."""

    @abstractmethod
    def download_bytes(self, ref: BlobRef) -> bytes: ...

    @abstractmethod
    def download_file(self, ref: BlobRef, path: Path) -> None:
        """Stream the blob into a local file (bounded memory, whatever the blob's size)."""

    @abstractmethod
    def copy(self, source: BlobRef, target: BlobRef) -> None:
        """Create or overwrite ``target`` with the content and content type of ``source``,
        copied by storage itself (no bytes through this process); a missing target container
        is created. `BlobNotFound` if ``source`` is absent."""

    @abstractmethod
    def delete(self, ref: BlobRef) -> None:
        """Delete the blob; `BlobNotFound` if absent."""

    @abstractmethod
    def ping(self, timeout: float | None = None) -> bool:
        """True if the default account answers one request, without retries (a readiness
        probe reports the state now), within ``timeout`` seconds to connect and to read if
        given; else `BlobTimeout` (no answer in time), `BlobUnavailable` or `BlobAccessDenied`."""

    @abstractmethod
    def close(self) -> None:
        """Release the store's connections (it is not used afterwards)."""
