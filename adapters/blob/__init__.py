"""Blob storage access for handlers and the rest of dagmaster.

Public surface:

    StorageSettings.from_env()       typed settings (`config.settings`)
    open_blob_store(settings)        the configured `BlobStore` (`AzureBlobStore`)
    BlobStore                        the interface: ref / ref_from_url / url / read_url /
                                     write_url / gdal_path / info / exists / upload_* / download_*
    BlobRef                          a validated (account, container, path)
    errors                           BlobError > InvalidBlobRef, BlobNotFound, BlobAccessDenied,
                                     BlobUnavailable (> BlobTimeout)
"""

from adapters.blob.azure import AzureBlobStore
from adapters.blob.errors import (
    BlobAccessDenied,
    BlobError,
    BlobNotFound,
    BlobTimeout,
    BlobUnavailable,
    InvalidBlobRef,
)
from adapters.blob.refs import BlobRef
from adapters.blob.signers import AccountKeySigner, SasSigner, UserDelegationSigner
from adapters.blob.store import BlobInfo, BlobStore
from config.settings import StorageSettings


def open_blob_store(settings: StorageSettings) -> BlobStore:
    """The store the settings describe (Azure Blob Storage or Azurite)."""
    return AzureBlobStore.from_settings(settings)


__all__ = [
    "AccountKeySigner",
    "AzureBlobStore",
    "BlobAccessDenied",
    "BlobError",
    "BlobInfo",
    "BlobNotFound",
    "BlobRef",
    "BlobStore",
    "BlobTimeout",
    "BlobUnavailable",
    "InvalidBlobRef",
    "SasSigner",
    "UserDelegationSigner",
    "open_blob_store",
]
