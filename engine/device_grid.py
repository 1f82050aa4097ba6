"""`engine.coords.camera_grid` built on the generator's device, bit-identical to the host grid.

A frame's grid is [H, W, 2] float32: uploading it every frame costs a host build plus a copy. Most grids are
separable (an unrotated plane, any cylinder strip): x depends on the column only and y on the row only, so the
host computes the two float32 vectors (W + H values, in float64 then rounded once, exactly as `camera_grid`
does) and the device broadcasts them. A rotated plane mixes both indices; it is computed on the device in
float64 with the same operations in the same order as `camera_grid` (each one correctly rounded, so the
result is the same bits), except on devices without float64 (Apple MPS), which get the host grid uploaded.
"""

from __future__ import annotations

import torch

from engine.coords import camera_grid, grid_at, pixel_step, rect_indices, rotation_cos_sin
from engine.types import Camera

__all__ = ["build_grid", "device_grid", "has_float64"]


def has_float64(device: torch.device) -> bool:
    """Whether ``device`` computes in float64 (Apple's MPS does not)."""
    return device.type != "mps"


def device_grid(camera: Camera, width: int, height: int, rect: tuple[int, int, int, int] | None = None,
                stride: int = 1, device: torch.device | str = "cpu") -> torch.Tensor:
    """`camera_grid` (same arguments) as a float32 tensor on ``device``: the same bits, built there."""
    dev = torch.device(device)
    if dev.type == "cpu":
        return torch.from_numpy(camera_grid(camera, width, height, rect, stride))
    return build_grid(camera, width, height, rect, stride, dev)


def build_grid(camera: Camera, width: int, height: int, rect: tuple[int, int, int, int] | None, stride: int,
               dev: torch.device) -> torch.Tensor:
    """The grid assembled on ``dev`` as described above (any device; the CPU's is what tests compare)."""
    cols, rows = rect_indices(width, height, rect, stride)
    rotated = camera.projection == "plane" and camera.rotation % 360.0 != 0.0
    if not rotated:
        # one row and one column of the host grid carry every value of a separable grid
        x = grid_at(camera, width, height, cols, rows[:1])[0, :, 0]
        y = grid_at(camera, width, height, cols[:1], rows)[:, 0, 1]
        xt = torch.from_numpy(x).to(dev, non_blocking=True)
        yt = torch.from_numpy(y).to(dev, non_blocking=True)
        return torch.stack([xt[None, :].expand(len(y), -1), yt[:, None].expand(-1, len(x))], dim=-1)
    if not has_float64(dev):
        return torch.from_numpy(camera_grid(camera, width, height, rect, stride)).to(dev)
    grid_at(camera, width, height, cols[:1], rows[:1])  # validates the camera as the host grid does
    step = pixel_step(camera, width, height)
    u = torch.from_numpy((cols - (width - 1) / 2.0) * step).to(dev)
    v = torch.from_numpy((rows - (height - 1) / 2.0) * step).to(dev)
    uu, vv = u[None, :].expand(len(rows), -1), v[:, None].expand(-1, len(cols))
    c, s = rotation_cos_sin(camera.rotation)
    gx = (c * uu - s * vv) + float(camera.center[0])
    gy = (s * uu + c * vv) + float(camera.center[1])
    return torch.stack([gx, gy], dim=-1).to(torch.float32)
