"""Fixed-shape row blocks: a pixel's bits must not depend on the tile it is rendered in.

BLAS libraries pick their kernels (and so the summation order of a dot product) by matrix shape and by
CPU: MKL on an Intel CPU rounds row r of a 1-, 5- or 9-row product differently from the same row of a
2048-row one, and a different CPU draws those lines elsewhere. Within one shape, every row is computed
alike. So every per-pixel product in the engine runs on blocks of a fixed number of rows, set by the
model alone: the last block is padded by repeating its last row, and the padding is dropped afterwards.
Then a 1x1 tile, a strip of a pan and a full band put each pixel through the same kernels.
(Element-wise ops need no such care: torch's vector loops round a tail element as they round the others.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

PIXEL_BLOCK = 1024  # rows (pixels) per block of a pixel network: a 128 x 128 band is 16 blocks


def rows_for(width: int) -> int:
    """Block rows for a layer of `width` input channels: about PIXEL_BLOCK x 64 floats, 64 to PIXEL_BLOCK rows
    (wide coarse layers see few rows in a pan strip; a smaller block pads less there)."""
    return max(64, min(PIXEL_BLOCK, PIXEL_BLOCK * 64 // max(width, 1)))


def round_up(n: int, block: int) -> int:
    """The smallest multiple of `block` that holds n rows (at least one block)."""
    return max(1, -(-n // block)) * block


def pad_rows(t: torch.Tensor, rows: int, dim: int = 0) -> torch.Tensor:
    """t with its last row along `dim` repeated up to `rows` rows (t itself when it has that many)."""
    n = t.shape[dim]
    if n >= rows or n == 0:
        return t
    last = t.narrow(dim, n - 1, 1)
    shape = list(t.shape)
    shape[dim] = rows - n
    return torch.cat([t, last.expand(shape)], dim)


def padded_to_blocks(t: torch.Tensor, block: int, dim: int = 0) -> torch.Tensor:
    """`pad_rows` up to a whole number of blocks."""
    return pad_rows(t, round_up(t.shape[dim], block), dim)


def blocks(n: int, block: int) -> Iterator[slice]:
    """Slices of `block` rows covering range(round_up(n, block)) (the caller pads to that length)."""
    for start in range(0, round_up(n, block), block):
        yield slice(start, start + block)


def by_blocks(fn: Callable[..., torch.Tensor], *rows: torch.Tensor, block: int = PIXEL_BLOCK,
              dim: int = 0) -> torch.Tensor:
    """fn(*parts) on blocks of exactly `block` rows of the row-aligned tensors `rows` (along `dim`; the last
    block padded), joined along `dim` without the padding. fn must be row-wise: row r of its result may
    depend only on row r of its inputs."""
    n = rows[0].shape[dim]
    if n == block:
        return fn(*rows)
    out: torch.Tensor | None = None
    for start in range(0, n, block):
        k = min(block, n - start)
        y = fn(*(pad_rows(t.narrow(dim, start, k), block, dim) for t in rows))
        if out is None:
            shape = list(y.shape)
            shape[dim] = n
            out = y.new_empty(shape)
        out.narrow(dim, start, k).copy_(y.narrow(dim, 0, k))
    assert out is not None, "by_blocks: no rows"
    return out
