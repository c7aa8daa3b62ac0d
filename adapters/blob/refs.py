"""Validated references to blobs: the only way a container and a path reach storage or GDAL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.blob.errors import InvalidBlobRef

# Azure's rules: 3-63 characters, lowercase letters, digits and single hyphens, starting and
# ending with a letter or digit.
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_MAX_PATH = 1024


@dataclass(frozen=True)
class BlobRef:
    """A blob in an allowed storage account; construct with `BlobRef.of` to validate."""

    account: str
    container: str
    path: str

    @classmethod
    def of(cls, account: str, container: str, path: str) -> BlobRef:
        check_account(account)
        check_container(container)
        check_blob_path(path)
        return cls(account, container, path)

    def sibling(self, path: str) -> BlobRef:
        """The blob at ``path`` in the same account and container."""
        return BlobRef.of(self.account, self.container, path)

    def __str__(self) -> str:
        return f"{self.account}/{self.container}/{self.path}"


def check_account(account: str) -> None:
    if not _ACCOUNT.match(account):
        raise InvalidBlobRef(
            f"invalid storage account name {account!r}: expected 3-24 lowercase letters or digits"
        )


def check_container(container: str) -> None:
    if not _CONTAINER.match(container):
        raise InvalidBlobRef(
            f"invalid container name {container!r}: expected 3-63 lowercase letters, digits "
            "and single hyphens, starting and ending with a letter or digit"
        )


def check_blob_path(path: str) -> None:
    """Reject anything that could escape its container or mean two different blobs.

    Blob names are flat strings to Azure, but they become URLs for GDAL and local paths when
    downloaded, so ``..``, ``.``, absolute paths, backslashes and empty segments are refused.
    """
    problem = _blob_path_problem(path)
    if problem:
        raise InvalidBlobRef(f"invalid blob path {path!r}: {problem}")


def _blob_path_problem(path: str) -> str | None:
    if not path:
        return "it is empty"
    if len(path) > _MAX_PATH:
        return f"longer than {_MAX_PATH} characters"
    if "\\" in path:
        return "backslashes are not allowed"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return "control characters are not allowed"
    if path.startswith("/"):
        return "absolute paths are not allowed"
    segments = path.split("/")
    if any(seg == "" for seg in segments):
        return "empty path segments ('//' or a trailing '/') are not allowed"
    if any(seg in (".", "..") for seg in segments):
        return "'.' and '..' segments are not allowed"
    return None
