"""Large outputs in blob storage: offloading a handler's output, resolving references.

Used by `handlers.execute` (light and heavy alike). What stays in the history
(the stub) and the reference format are decided in `domain.offload`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from domain.offload import contains_ref, follow, is_ref, stub

OUTPUT_CONTAINER = "dagmaster-outputs"


class JsonDocuments(Protocol):
    """JSON documents by ``"<container>/<blob name>"`` (`adapters.taskqueue.JsonBlobs`);
    an absent document reads as None."""

    def get(self, ref: str) -> Any | None: ...

    def put(self, ref: str, document: Any) -> None: ...


def offload(blobs: Callable[[], JsonDocuments], output: Any, limit: int, *, key: str) -> Any:
    """``output`` itself when its JSON fits in ``limit`` bytes; else the output is stored
    whole at ``<OUTPUT_CONTAINER>/<key>.json`` and its stub is returned."""
    ref = f"{OUTPUT_CONTAINER}/{key}.json"
    kept = stub(output, limit, ref)
    if kept is not output:
        blobs().put(ref, output)
    return kept


def resolve_refs(blobs: JsonDocuments, value: Any) -> Any:
    """``value`` with every output reference inside it replaced by the value it stands for.
    Each stored output is read once per call, however many references point into it."""
    if not contains_ref(value):
        return value
    documents: dict[str, Any] = {}

    def read(blob: str) -> Any:
        if blob not in documents:
            stored = blobs.get(blob)
            if stored is None:
                raise LookupError(f"stored output {blob} is missing")
            documents[blob] = stored
        return documents[blob]

    def resolve(item: Any) -> Any:
        if is_ref(item):
            return follow(read(item["$ref"]), item.get("path", []), item["$ref"])
        if isinstance(item, dict):
            return {k: resolve(v) for k, v in item.items()}
        if isinstance(item, list):
            return [resolve(v) for v in item]
        return item

    return resolve(value)


__all__ = ["OUTPUT_CONTAINER", "JsonDocuments", "contains_ref", "is_ref", "offload", "resolve_refs"]
