"""`BlobStore` on Azure Blob Storage (and Azurite), with SAS URLs for GDAL."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.storage.blob import BlobClient, BlobServiceClient, ContentSettings

from adapters.blob.errors import (
    BlobAccessDenied,
    BlobNotFound,
    BlobTimeout,
    BlobUnavailable,
    InvalidBlobRef,
)
from adapters.blob.refs import BlobRef
from adapters.blob.signers import AccountKeySigner, SasSigner, UserDelegationSigner
from adapters.blob.store import BlobInfo, BlobStore
from config.base import SettingsError
from config.settings import ACCOUNT_URL, StorageSettings

# Blocks of 8 MiB with 4 parallel transfers keep memory near 32 MiB for any blob size.
_BLOCK = 8 * 1024 * 1024
_CONCURRENCY = 4
# A server-side copy within one account is normally done at once; longer means trouble.
_COPY_TIMEOUT_SECONDS = 300


class AzureBlobStore(BlobStore):
    """Blob access through `BlobServiceClient`s, one per allowed account.

    The first account in ``services`` is the default one. ``signer`` issues the SAS tokens
    (`AccountKeySigner` for Azurite / keys, `UserDelegationSigner` for managed identity).
    """

    def __init__(
        self,
        services: dict[str, BlobServiceClient],
        signer: SasSigner,
        sas_ttl: timedelta = timedelta(hours=1),
    ) -> None:
        if not services:
            raise ValueError("AzureBlobStore needs at least one account")
        self._services = services
        self._signer = signer
        self._ttl = sas_ttl
        # Base URLs end with '/': a URL is on an account only if it starts with its base.
        self._bases = {acct: svc.url.rstrip("/") + "/" for acct, svc in services.items()}

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> AzureBlobStore:
        ttl = timedelta(minutes=settings.sas_ttl_minutes)
        if settings.connection_string is not None:
            service = BlobServiceClient.from_connection_string(
                settings.connection_string.get_secret_value(),
                max_block_size=_BLOCK,
                max_single_put_size=_BLOCK,
            )
            credential = service.credential
            signer = AccountKeySigner(credential.account_name, credential.account_key)
            return cls({_account_of(service): service}, signer, ttl)
        return cls._with_managed_identity(settings, ttl)

    @classmethod
    def _with_managed_identity(cls, settings: StorageSettings, ttl: timedelta) -> AzureBlobStore:
        from azure.identity import DefaultAzureCredential

        assert settings.account_url is not None
        credential = DefaultAzureCredential()
        main = _service(settings.account_url, credential)
        services = {_account_of(main): main}
        for account in settings.extra_allowed_accounts:
            url = f"https://{account}.blob.core.windows.net"
            services.setdefault(account, _service(url, credential))
        return cls(services, UserDelegationSigner(dict(services)), ttl)

    @property
    def default_account(self) -> str:
        return next(iter(self._services))

    @property
    def allowed_accounts(self) -> frozenset[str]:
        return frozenset(self._services)

    def ref_from_url(self, url: str) -> BlobRef:
        base_url = url.split("?", 1)[0]
        for account, base in self._bases.items():
            if base_url.startswith(base):
                container, _, path = base_url[len(base) :].partition("/")
                return BlobRef.of(account, container, unquote(path))
        raise InvalidBlobRef(
            f"URL {base_url!r} is not on an allowed storage account "
            f"(allowed: {', '.join(sorted(self._bases.values()))})"
        )

    def url(self, ref: BlobRef) -> str:
        return self._client(ref).url

    def read_url(self, ref: BlobRef) -> str:
        return self._signed(ref, "r")

    def write_url(self, ref: BlobRef) -> str:
        return self._signed(ref, "cw")

    def info(self, ref: BlobRef) -> BlobInfo:
        with _translated(ref):
            props = self._client(ref).get_blob_properties()
        return BlobInfo(props.size, props.etag, props.content_settings.content_type)

    def upload_bytes(self, ref: BlobRef, data: bytes, content_type: str | None = None) -> None:
        def upload() -> None:
            self._client(ref).upload_blob(
                data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
            )

        self._write(ref, upload)

    def upload_file(self, ref: BlobRef, path: Path, content_type: str | None = None) -> None:
        def upload() -> None:
            with path.open("rb") as stream:
                self._client(ref).upload_blob(
                    stream,
                    length=path.stat().st_size,
                    overwrite=True,
                    max_concurrency=_CONCURRENCY,
                    # An MD5 per block lets storage reject a block damaged in transit. It
                    # is also 3x faster on Azurite, which otherwise computes a CRC64 of
                    # each block in JavaScript (see benchmarks/README-raster.md).
                    validate_content="md5",
                    content_settings=ContentSettings(content_type=content_type),
                )

        self._write(ref, upload)

    def _write(self, ref: BlobRef, upload: Callable[[], None]) -> None:
        """Run ``upload``; if the container is missing, create it and upload once more.

        Asking storage first would cost a request on every write; a missing container costs
        one failed request, once. Two writers racing to create it both succeed: whoever
        loses gets "already exists", which is what it wanted.
        """
        with _translated(ref):
            try:
                upload()
                return
            except ResourceNotFoundError as exc:
                # azure-storage sets `error_code` on the errors it raises (not azure-core's).
                if getattr(exc, "error_code", None) != "ContainerNotFound":
                    raise
            with contextlib.suppress(ResourceExistsError):
                self._services[ref.account].create_container(ref.container)
            upload()

    def download_bytes(self, ref: BlobRef) -> bytes:
        with _translated(ref):
            return self._client(ref).download_blob(max_concurrency=_CONCURRENCY).readall()

    def download_file(self, ref: BlobRef, path: Path) -> None:
        with _translated(ref), path.open("wb") as stream:
            self._client(ref).download_blob(max_concurrency=_CONCURRENCY).readinto(stream)

    def copy(self, source: BlobRef, target: BlobRef) -> None:
        # Copy Blob (what Azurite implements; Put Blob From URL it does not). Within one
        # account it normally completes at once; otherwise wait for it, bounded.
        self.info(source)  # BlobNotFound naming the source, not the target

        def start() -> None:
            self._client(target).start_copy_from_url(self.read_url(source))

        self._write(target, start)
        deadline = time.monotonic() + _COPY_TIMEOUT_SECONDS
        with _translated(target):
            client = self._client(target)
            while (copy := client.get_blob_properties().copy).status == "pending":
                if time.monotonic() > deadline:
                    if copy.id is not None:  # a pending copy has an id; the SDK types it optional
                        client.abort_copy(copy.id)
                    raise BlobUnavailable(f"copy to {target} did not finish in time")
                time.sleep(0.5)
        if copy.status not in (None, "success"):
            raise BlobUnavailable(f"copy of {source} to {target} ended {copy.status!r}")

    def delete(self, ref: BlobRef) -> None:
        with _translated(ref):
            self._client(ref).delete_blob()

    def ping(self, timeout: float | None = None) -> bool:
        service = self._services[self.default_account]
        account = self.default_account
        limits = {"connection_timeout": timeout, "read_timeout": timeout} if timeout else {}
        try:
            service.get_account_information(retry_total=0, **limits)
        except ClientAuthenticationError as exc:
            raise BlobAccessDenied(f"storage account {account!r}: {exc.message}") from exc
        except (ServiceRequestTimeoutError, ServiceResponseTimeoutError) as exc:
            raise BlobTimeout(f"storage account {account!r}: no answer within {timeout} s") from exc
        except (HttpResponseError, ServiceRequestError, ServiceResponseError) as exc:
            raise BlobUnavailable(f"storage account {account!r} unreachable: {exc}") from exc
        return True

    def close(self) -> None:
        for service in self._services.values():
            service.close()

    def _client(self, ref: BlobRef) -> BlobClient:
        service = self._services.get(ref.account)
        if service is None:
            raise InvalidBlobRef(f"storage account {ref.account!r} is not allowed")
        return service.get_blob_client(ref.container, ref.path)

    def _signed(self, ref: BlobRef, permission: str) -> str:
        expiry = datetime.now(UTC) + self._ttl
        with _translated(ref):
            sas = self._signer.sign(ref, permission, expiry)
        return f"{self.url(ref)}?{sas}"


def _service(url: str, credential: TokenCredential) -> BlobServiceClient:
    # Files above one block go up as parallel blocks of that size.
    return BlobServiceClient(
        url, credential=credential, max_block_size=_BLOCK, max_single_put_size=_BLOCK
    )


def _account_of(service: BlobServiceClient) -> str:
    """The client's storage account; the SDK finds none in a URL of another shape (a custom
    domain), and without it no blob URL can be resolved or signed."""
    if not service.account_name:
        raise SettingsError(
            f"{ACCOUNT_URL}: {service.url!r} names no storage account; use the account's "
            "blob endpoint, https://<account>.blob.core.windows.net"
        )
    return str(service.account_name)


@contextmanager
def _translated(ref: BlobRef) -> Iterator[None]:
    """Turn Azure SDK errors into the adapter's own, naming the blob."""
    try:
        yield
    except ResourceNotFoundError as exc:
        raise BlobNotFound(f"blob {ref} does not exist ({exc.reason})") from exc
    except ClientAuthenticationError as exc:
        raise BlobAccessDenied(f"access to blob {ref} denied: {exc.message}") from exc
    except HttpResponseError as exc:
        status = exc.status_code or 0
        if status in (401, 403):
            raise BlobAccessDenied(f"access to blob {ref} denied: {exc.reason}") from exc
        if status == 429 or status >= 500:
            raise BlobUnavailable(f"storage unavailable for blob {ref}: {exc.reason}") from exc
        raise
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise BlobUnavailable(f"storage unreachable for blob {ref}: {exc}") from exc
