"""How a template in the orchestrator sees a value kept in blob storage (`domain.offload`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.offload import REF_KEY, child_ref, is_ref


class OffloadedAccessError(TypeError):
    """A template needed the content of a value kept in blob storage."""


class Offloaded:
    """A value kept in blob storage, as a template in the orchestrator sees it.

    Keys and positions extend the reference; ``len`` answers from the stub. Anything that
    needs the content (text, comparison, truth, iteration) raises, saying what works.
    """

    __slots__ = ("_ref",)

    def __init__(self, ref: dict[str, Any]) -> None:
        self._ref = ref

    def reference(self) -> dict[str, Any]:
        return dict(self._ref)

    def __getitem__(self, key: Any) -> Offloaded:
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise self._refuse(f"look up {key!r} in it")
        return Offloaded(child_ref(self._ref, key))

    def __len__(self) -> int:
        length = self._ref.get("length")
        if not isinstance(length, int):
            raise self._refuse("take its length (unknown until read)")
        return length

    def __iter__(self) -> Iterator[Any]:
        raise self._refuse("iterate over it")

    def __str__(self) -> str:
        raise self._refuse("turn it into text")

    def __bool__(self) -> bool:
        raise self._refuse("test its truth")

    def __eq__(self, other: object) -> bool:
        raise self._refuse("compare it")

    __hash__ = None  # type: ignore[assignment]

    def _refuse(self, what: str) -> OffloadedAccessError:
        where = self._ref[REF_KEY] + "".join(f"[{k!r}]" for k in self._ref.get("path", []))
        return OffloadedAccessError(
            f"the value at {where} is a large output kept in blob storage, so the "
            f"orchestrator cannot {what}; pass it (or a part of it, e.g. x.key or x[0]) whole "
            "as a param, or use |length; have the handler return small fields for "
            "conditions and text"
        )

    def __repr__(self) -> str:
        return f"Offloaded({self._ref!r})"


def offloaded_or(value: Any) -> Any:
    """``value``, seen as :class:`Offloaded` when it is a large-output reference."""
    return Offloaded(value) if is_ref(value) else value
