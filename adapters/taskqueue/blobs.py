"""JSON documents in Blob Storage, addressed by reference ``"<container>/<blob name>"``.

Used for the task payloads that are too large for a queue message, and by the container
worker for checkpoints and result markers. Containers are created on first write.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContentSettings

from adapters.taskqueue.settings import StorageSettings

JSON_CONTENT = ContentSettings(content_type="application/json")


def blob_service(settings: StorageSettings, **options: Any) -> BlobServiceClient:
    """A blob client from a connection string, else the blob URL with `DefaultAzureCredential`;
    ``options`` go to the client (e.g. ``retry_total``, ``connection_timeout``)."""
    if settings.connection_string:
        return BlobServiceClient.from_connection_string(settings.connection_string, **options)
    from azure.identity import DefaultAzureCredential

    return BlobServiceClient(str(settings.blob_url), credential=DefaultAzureCredential(), **options)


def split_ref(ref: str) -> tuple[str, str]:
    container, _, name = ref.partition("/")
    if not container or not name:
        raise ValueError(f"Invalid blob reference '{ref}': expected '<container>/<blob name>'.")
    return container, name


class JsonBlobs:
    """Reads and writes JSON documents; absent documents read as None."""

    def __init__(self, service: BlobServiceClient) -> None:
        self._service = service
        self._known_containers: set[str] = set()

    def put(self, ref: str, document: Any) -> None:
        container, name = split_ref(ref)
        self._ensure(container)
        data = json.dumps(document, separators=(",", ":")).encode()
        self._service.get_blob_client(container, name).upload_blob(
            data, overwrite=True, content_settings=JSON_CONTENT
        )

    def get(self, ref: str) -> Any | None:
        container, name = split_ref(ref)
        try:
            data = self._service.get_blob_client(container, name).download_blob().readall()
        except ResourceNotFoundError:
            return None
        return json.loads(data)

    def delete(self, ref: str) -> None:
        container, name = split_ref(ref)
        with contextlib.suppress(ResourceNotFoundError):
            self._service.get_blob_client(container, name).delete_blob()

    def close(self) -> None:
        self._service.close()

    def _ensure(self, container: str) -> None:
        if container in self._known_containers:
            return
        with contextlib.suppress(ResourceExistsError):
            self._service.create_container(container)
        self._known_containers.add(container)
