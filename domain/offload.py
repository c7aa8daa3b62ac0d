"""Large outputs: what stays in the orchestration history and what goes to blob storage.

A node output whose JSON is larger than the engine's limit (32 KB by default) is stored
whole in one blob; the history keeps a *stub*: the same structure with its biggest parts
replaced by references, so small fields stay readable by ``when`` conditions and templates.

A reference is a dict::

    {"$ref": "<container>/<blob>", "size": <bytes>, "length": <items>, "path": [...]}

``$ref`` names the blob holding the whole output, ``path`` the keys and list positions
leading from the stored document to the value (absent: the whole document), ``size`` the
value's JSON size and ``length`` its item count when it is a list or a dict. Templates
extend ``path`` (``nodes.plan.output.tiles[3]``) without reading anything; the activity or
worker that receives a reference in its params reads the blob (see `adapters.outputs`).

Pure: deciding the stub and following paths; the I/O lives in `adapters.outputs`.
"""

from __future__ import annotations

import json
from typing import Any

REF_KEY = "$ref"
_REF_FIELDS = frozenset({REF_KEY, "size", "length", "path"})

PathKey = str | int


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON (what the history would carry)."""
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def is_ref(value: Any) -> bool:
    """A large-output reference: a string ``$ref`` with only reference fields, and a ``size``
    or a ``path`` (so a user's JSON-Schema-like ``{"$ref": "#/a"}`` is not taken for one)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get(REF_KEY), str)
        and value.keys() <= _REF_FIELDS
        and ("size" in value or "path" in value)
    )


def contains_ref(value: Any) -> bool:
    if is_ref(value):
        return True
    if isinstance(value, dict):
        return any(contains_ref(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_ref(v) for v in value)
    return False


def make_ref(blob: str, value: Any, path: list[PathKey], size: int | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {REF_KEY: blob, "size": json_size(value) if size is None else size}
    if isinstance(value, list | dict):
        ref["length"] = len(value)
    if path:
        ref["path"] = list(path)
    return ref


def child_ref(ref: dict[str, Any], key: PathKey) -> dict[str, Any]:
    """The reference to ``ref[key]``; its size and length are not known until it is read."""
    return {REF_KEY: ref[REF_KEY], "path": [*ref.get("path", []), key]}


def ref_items(ref: dict[str, Any]) -> list[dict[str, Any]] | None:
    """One reference per item of a referenced list, or None when its length is unknown."""
    length = ref.get("length")
    if not isinstance(length, int) or isinstance(length, bool):
        return None
    return [child_ref(ref, i) for i in range(length)]


def stub(output: Any, limit: int, blob: str) -> Any:
    """``output`` itself when it fits in ``limit`` bytes; else what the history keeps of it
    once the whole output is stored at ``blob``.

    In a dict, the biggest values are replaced by references one by one until the dict fits;
    a value that is itself a dict too big for the room left is stubbed the same way, so
    small fields stay inline at every depth. Lists and scalars are referenced whole.
    """
    size = json_size(output)
    if size <= limit:
        return output
    return _shrink(output, size, limit, blob, [])


def _shrink(value: Any, size: int, budget: int, blob: str, path: list[PathKey]) -> Any:
    if not isinstance(value, dict) or not value:
        return make_ref(blob, value, path, size)
    sizes = {key: json_size(item) for key, item in value.items()}
    kept = dict(value)
    total = size
    for key in sorted(sizes, key=lambda k: sizes[k], reverse=True):
        if total <= budget:
            break
        room = budget - (total - sizes[key])
        replacement = _shrink(value[key], sizes[key], max(room, 0), blob, [*path, key])
        total += json_size(replacement) - sizes[key]
        kept[key] = replacement
    if total <= budget:
        return kept
    return make_ref(blob, value, path, size)


def follow(document: Any, path: list[PathKey], blob: str) -> Any:
    """The value at ``path`` inside a stored ``document``; a clear error when it is absent."""
    value = document
    for depth, key in enumerate(path):
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            where = "".join(f"[{k!r}]" for k in path[: depth + 1])
            raise LookupError(f"stored output {blob} has nothing at {where}") from None
    return value
