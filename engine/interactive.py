"""Interactive render policy (DESIGN.md §5): which views use a generator's approximate interactive mode, and
how coarse their first progressive pass must be (the quality goes into the `RenderRequest`; the generator is
never switched). Exports and jobs never go through here: they stay exact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.coords import is_quarter_turn

if TYPE_CHECKING:
    from engine.models.base import Generator
    from engine.types import Camera

# First pass of an off-axis lattice view: the line lattice costs ~1/stride (not 1/stride^2), so stride 8
# misses 100 ms at 256^2 and stride 16 fits it (bench/bench_all.py first-creps-rot vs first-creps-rot16).
LATTICE_FIRST_STRIDE = 16


def axis_aligned(camera: Camera) -> bool:
    """Whether the camera's grid keeps rows and columns separable: a plane turned by whole quarter turns
    (`camera_grid` turns those exactly), or a cylinder strip (upright; its yaw only rolls the columns)."""
    return camera.projection == "cylinder" or is_quarter_turn(camera.rotation)


def has_interactive_mode(g: Generator) -> bool:
    """Whether `g` has an approximate mode for off-axis grids (CREPS' line lattices)."""
    return bool(g.has_interactive_quality)


def view_quality(g: Generator, camera: Camera) -> str:
    """The render quality of an interactive view: "interactive" for an off-axis view of a model with an
    approximate mode, else "exact" (axis-aligned grids never use the lattice and keep the exact mode's band
    size, their cancel points)."""
    return "interactive" if has_interactive_mode(g) and not axis_aligned(camera) else "exact"


def first_stride_floor(interactive_mode: bool, camera: Camera) -> int:
    """Smallest first-pass stride worth using for `camera` on a model with (or without) an interactive mode."""
    return LATTICE_FIRST_STRIDE if interactive_mode and not axis_aligned(camera) else 1
