"""Fan-in aggregation of a fan-out's child outputs, in index order."""

from __future__ import annotations

from typing import Any

from domain.models import Aggregate


class AggregateError(ValueError):
    """A fan-in cannot aggregate its children's outputs (e.g. summing non-numbers)."""


def _select(value: Any, path: str | None, index: int) -> Any:
    if path is None:
        return value
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise AggregateError(f"child {index} output has no field '{path}'")
        value = value[part]
    return value


def aggregate(mode: Aggregate, outputs: list[Any], select: str | None = None) -> Any:
    """``collect``: the list; ``concat``: lists joined; ``sum``: numbers added;
    ``first``/``last``: one output (None when there are no children)."""
    values = [_select(v, select, i) for i, v in enumerate(outputs)]
    match mode:
        case Aggregate.COLLECT:
            return values
        case Aggregate.CONCAT:
            joined: list[Any] = []
            for i, v in enumerate(values):
                if not isinstance(v, list):
                    raise AggregateError(f"concat needs lists; child {i} gave {type(v).__name__}")
                joined.extend(v)
            return joined
        case Aggregate.SUM:
            for i, v in enumerate(values):
                if isinstance(v, bool) or not isinstance(v, int | float):
                    raise AggregateError(f"sum needs numbers; child {i} gave {v!r}")
            return sum(values)
        case Aggregate.FIRST:
            return values[0] if values else None
        case Aggregate.LAST:
            return values[-1] if values else None
