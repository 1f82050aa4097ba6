"""Camera grids: the identity, square pixels, tiles, rotation, and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

from engine.coords import camera_grid, identity_grid, pixel_step
from engine.types import Camera


def test_identity_is_linspace() -> None:
    g = identity_grid(7)
    lin = np.linspace(-1, 1, 7, dtype=np.float32)
    assert np.array_equal(g[0, :, 0], lin) and np.array_equal(g[:, 0, 1], lin)


def test_non_square_keeps_pixels_square_and_frame_on_short_side() -> None:
    g = camera_grid(Camera(), 9, 5)
    assert g[:, 0, 1].min() == -1 and g[:, 0, 1].max() == 1
    dx, dy = np.diff(g[0, :, 0]), np.diff(g[:, 0, 1])
    assert np.allclose(dx, 0.5) and np.allclose(dy, 0.5) and g[0, 0, 0] == -2


def test_zoom_center_and_rotation() -> None:
    g = camera_grid(Camera(center=(0.5, -0.25), zoom=2.0), 5, 5)
    assert np.allclose(g[2, 2], (0.5, -0.25)) and np.allclose(g[2, 4, 0] - g[2, 2, 0], 0.5)
    r = camera_grid(Camera(rotation=90.0), 5, 5)
    # quarter turns are exact: x comes from rows, y from columns, no residue breaks separability
    assert np.all(r[:, :, 0] == r[:, :1, 0]) and np.all(r[:, :, 1] == r[:1, :, 1])
    r30 = camera_grid(Camera(rotation=30.0), 5, 5)
    assert np.allclose(np.hypot(*r30[0, 0]), np.hypot(1, 1))


def test_tiles_and_strides_are_bit_identical_subsets() -> None:
    cam = Camera(center=(0.1, 0.2), zoom=0.7, rotation=12.0)
    full = camera_grid(cam, 40, 30)
    assert np.array_equal(camera_grid(cam, 40, 30, rect=(5, 3, 10, 20)), full[3:23, 5:15])
    assert np.array_equal(camera_grid(cam, 40, 30, stride=4), full[::4, ::4])


@pytest.mark.parametrize("kwargs, needle", [
    ({"camera": Camera(zoom=0.0), "width": 4, "height": 4}, "zoom"),
    ({"camera": Camera(), "width": 0, "height": 4}, "size"),
    ({"camera": Camera(), "width": 4, "height": 4, "rect": (2, 2, 4, 4)}, "rect"),
    ({"camera": Camera(center=(np.nan, 0.0)), "width": 4, "height": 4}, "center"),
    ({"camera": Camera(projection="sphere"), "width": 4, "height": 4}, "projection"),
])
def test_bad_arguments_name_themselves(kwargs: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        camera_grid(**kwargs)


def test_pixel_step() -> None:
    assert pixel_step(Camera(), 257, 300) == 2 / 256
