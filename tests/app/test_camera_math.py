"""Camera arithmetic agrees with the engine's grids pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest

from app.state import camera_math as cm
from engine.coords import camera_grid, pixel_step
from engine.types import Camera

CAMERAS = [Camera(), Camera(center=(0.3, -0.7), zoom=2.5, rotation=30.0), Camera(zoom=0.4, rotation=-120.0)]


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize("render,widget", [((64, 64), (64, 64)), ((50, 30), (100, 60)), ((120, 80), (60, 40))])
def test_widget_to_frame_hits_pixel_centres(camera: Camera, render: tuple[int, int],
                                            widget: tuple[int, int]) -> None:
    grid = camera_grid(camera, *render)
    m = cm.widget_to_frame(camera, render, widget)
    kx, ky = render[0] / widget[0], render[1] / widget[1]
    for i, j in [(0, 0), (render[1] - 1, render[0] - 1), (render[1] // 3, render[0] // 2)]:
        x, y = (j + 0.5) / kx, (i + 0.5) / ky  # widget position of render pixel (i, j)'s centre
        assert np.allclose(cm.apply(m, x, y), grid[i, j], atol=1e-5)


@pytest.mark.parametrize("stride", [1, 2, 4])
def test_image_to_frame_of_strided_passes(stride: int) -> None:
    camera, size = CAMERAS[1], (37, 23)
    grid = camera_grid(camera, *size, stride=stride)
    m = cm.image_to_frame(camera, size, stride)
    for i, j in [(0, 0), (grid.shape[0] - 1, grid.shape[1] - 1)]:
        assert np.allclose(cm.apply(m, j + 0.5, i + 0.5), grid[i, j], atol=1e-5)


def test_pan_zoom_rotate() -> None:
    cam = Camera(center=(0.1, 0.2), zoom=2.0, rotation=90.0)
    m = cm.widget_to_frame(cam, (64, 64), (64, 64))
    step = pixel_step(cam, 64, 64)
    panned = cm.panned(cam, m, 10.0, 0.0)  # rotated 90°: a drag right moves the centre along -y
    assert np.allclose(panned.center, (0.1, 0.2 - 10 * step))
    p = cm.apply(m, 5.0, 50.0)
    z = cm.zoomed(cam, m, 3.0, 5.0, 50.0)
    assert z.zoom == 6.0 and np.allclose(cm.apply(cm.widget_to_frame(z, (64, 64), (64, 64)), 5.0, 50.0), p)
    assert cm.rotated(cam, 100.0).rotation == -170.0 and cm.rotated(Camera(rotation=170), 10).rotation == 180.0
    assert cm.zoomed(Camera(zoom=cm.MAX_ZOOM), m, 2.0, 0, 0).zoom == cm.MAX_ZOOM


def test_preview_composition_maps_old_pixels_to_new_places() -> None:
    old, new = Camera(), Camera(center=(0.25, 0.0), zoom=2.0)
    to_frame = cm.image_to_frame(old, (64, 64))
    to_widget = cm.invert(cm.widget_to_frame(new, (64, 64), (64, 64)))
    m = cm.compose(to_frame, to_widget)
    # the old image's centre pixel shows at the new view's position of frame (0, 0)
    x, y = cm.apply(m, 32.0, 32.0)
    assert np.allclose(cm.apply(cm.widget_to_frame(new, (64, 64), (64, 64)), x, y),
                       cm.apply(to_frame, 32.0, 32.0))
