"""Pure tile-grid arithmetic: splitting a raster into windows and checking a cover."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    col_off: int
    row_off: int
    width: int
    height: int


def tile_windows(width: int, height: int, tile_size: int) -> list[Window]:
    """Row-major windows of ``tile_size`` pixels; the last column and row may be narrower."""
    if width <= 0 or height <= 0 or tile_size <= 0:
        raise ValueError(f"cannot tile {width}x{height} pixels with tile size {tile_size}")
    return [
        Window(col, row, min(tile_size, width - col), min(tile_size, height - row))
        for row in range(0, height, tile_size)
        for col in range(0, width, tile_size)
    ]


def cover_problems(windows: Sequence[Window], width: int, height: int) -> list[str]:
    """Why ``windows`` do not cover ``width`` x ``height`` exactly once (empty if they do).

    Works on the grid of distinct window edges, so its cost grows with the number of
    windows, not pixels.
    """
    problems = [
        f"window {w} lies outside the {width}x{height} raster"
        for w in windows
        if w.col_off < 0
        or w.row_off < 0
        or w.col_off + w.width > width
        or w.row_off + w.height > height
        or w.width <= 0
        or w.height <= 0
    ]
    if problems:
        return problems
    xs = _edges((w.col_off, w.col_off + w.width) for w in windows) | {0, width}
    ys = _edges((w.row_off, w.row_off + w.height) for w in windows) | {0, height}
    x_index = {x: i for i, x in enumerate(sorted(xs))}
    y_index = {y: i for i, y in enumerate(sorted(ys))}
    counts = [[0] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for w in windows:
        for yi in range(y_index[w.row_off], y_index[w.row_off + w.height]):
            for xi in range(x_index[w.col_off], x_index[w.col_off + w.width]):
                counts[yi][xi] += 1
    if any(c == 0 for row in counts for c in row):
        problems.append("some pixels are covered by no window")
    if any(c > 1 for row in counts for c in row):
        problems.append("some pixels are covered by more than one window")
    return problems


def _edges(pairs: Iterable[tuple[int, int]]) -> set[int]:
    return {edge for pair in pairs for edge in pair}
