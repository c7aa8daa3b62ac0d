"""Large outputs: stored in blob storage, with only a reference crossing the history.

A reference is ``{"$ref": "<container>/<blob>", "size": <bytes>}``. Templates pass a whole
reference through unchanged (the orchestrator cannot read blobs), and `resolve_refs`
materialises references found in a handler's params before the handler runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from adapters.taskqueue import JsonBlobs

OUTPUT_CONTAINER = "dagmaster-outputs"


def is_ref(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("$ref"), str) and len(value) <= 2


def offload(blobs: Callable[[], JsonBlobs], output: Any, limit: int, *, key: str) -> Any:
    """``output`` itself when its JSON is at most ``limit`` bytes, else a reference to it."""
    size = len(json.dumps(output, separators=(",", ":"), default=str).encode())
    if size <= limit:
        return output
    ref = f"{OUTPUT_CONTAINER}/{key}.json"
    blobs().put(ref, output)
    return {"$ref": ref, "size": size}


def contains_ref(value: Any) -> bool:
    if is_ref(value):
        return True
    if isinstance(value, dict):
        return any(contains_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_ref(v) for v in value)
    return False


def resolve_refs(blobs: JsonBlobs, value: Any) -> Any:
    """``value`` with every output reference inside it replaced by the stored output."""
    if is_ref(value):
        stored = blobs.get(value["$ref"])
        if stored is None:
            raise LookupError(f"stored output {value['$ref']} is missing")
        return stored
    if isinstance(value, dict):
        return {k: resolve_refs(blobs, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(blobs, v) for v in value]
    return value
