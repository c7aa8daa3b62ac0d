"""Conversion of expression results to plain, JSON-like data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jinja2.runtime import Undefined

from domain.templates.offloaded import Offloaded


def to_data(value: Any) -> Any:
    """Turn an expression's result into plain JSON-like data (fresh containers, no aliasing).

    Tuples and iterators (e.g. the generator of ``|map``) become lists; views become dicts.
    Raises ``UndefinedError``/``SecurityError`` for undefined results and ``TypeError`` for
    anything that is not data (callables, sets, arbitrary objects).
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Offloaded):
        return value.reference()
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises its own error (UndefinedError or SecurityError)
        raise TypeError("expression is undefined")
    if isinstance(value, Mapping):
        return {_data_key(k): to_data(v) for k, v in value.items()}
    if isinstance(value, bytes | bytearray):
        raise TypeError("bytes are not JSON-like data")
    if isinstance(value, set | frozenset):
        raise TypeError("a set has no stable order; make it a list (e.g. |sort)")
    if callable(value):
        raise TypeError(
            f"expression evaluated to a callable ({type(value).__name__}), not data; "
            "a missing key named like a dict method (items, keys, ...) falls back to the method"
        )
    if isinstance(value, list | tuple | range | Iterator):
        return [to_data(v) for v in value]
    if isinstance(value, Iterable) and type(value).__module__ == "builtins":
        return [to_data(v) for v in value]  # dict views and the like
    raise TypeError(f"expression evaluated to a {type(value).__name__}, not JSON-like data")


def _data_key(key: Any) -> Any:
    if key is None or isinstance(key, str | bool | int | float):
        return key
    raise TypeError(f"mapping key of type {type(key).__name__} is not JSON-like data")
