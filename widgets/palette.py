"""Anchor colours shared by the mixing table, the paint toolbar and the painted-mask overlay."""

from __future__ import annotations

ANCHOR_COLORS: tuple[tuple[int, int, int], ...] = (
    (235, 87, 72),    # anchor 1: red
    (66, 135, 245),   # anchor 2: blue
    (80, 200, 110),   # anchor 3: green
    (245, 175, 45),   # anchor 4: amber
    (175, 100, 235),  # anchor 5: violet
    (50, 200, 210),   # anchor 6: cyan
    (235, 105, 175),  # anchor 7: pink
    (170, 170, 170),  # anchor 8: grey
)


def anchor_color(index: int) -> tuple[int, int, int]:
    """The colour of anchor ``index`` (colours repeat after eight anchors)."""
    return ANCHOR_COLORS[index % len(ANCHOR_COLORS)]
