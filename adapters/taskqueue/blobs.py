"""JSON documents in Blob Storage, addressed by reference ``"<container>/<blob name>"``.

Used for the task payloads that are too large for a queue message, for large node outputs,
and by the container worker for checkpoints and result markers. A thin JSON view on the one
blob adapter (`adapters.blob.BlobStore`), on its default account; containers are created on
first write.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from adapters.blob import BlobNotFound, BlobRef, BlobStore

JSON_CONTENT_TYPE = "application/json"


def split_ref(ref: str) -> tuple[str, str]:
    container, _, name = ref.partition("/")
    if not container or not name:
        raise ValueError(f"Invalid blob reference '{ref}': expected '<container>/<blob name>'.")
    return container, name


class JsonBlobs:
    """Reads and writes JSON documents; absent documents read as None."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    def put(self, ref: str, document: Any) -> None:
        data = json.dumps(document, separators=(",", ":")).encode()
        self._store.upload_bytes(self._ref(ref), data, content_type=JSON_CONTENT_TYPE)

    def get(self, ref: str) -> Any | None:
        try:
            data = self._store.download_bytes(self._ref(ref))
        except BlobNotFound:
            return None
        return json.loads(data)

    def delete(self, ref: str) -> None:
        with contextlib.suppress(BlobNotFound):
            self._store.delete(self._ref(ref))

    def close(self) -> None:
        self._store.close()

    def _ref(self, ref: str) -> BlobRef:
        container, name = split_ref(ref)
        return self._store.ref(container, name)
