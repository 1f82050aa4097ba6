"""Painted style masks: sparse tiled weight maps in frame coordinates, whole-mask edits, JSON, engine fields."""

from __future__ import annotations

import base64
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.types import FrozenArray

PPU = 256  # mask pixels per frame unit: the training frame [-1, 1]² is 512 x 512 mask pixels, whatever the view
TILE = 128  # tile side in mask pixels; a stroke copies only the tiles it touches (cheap undo steps)
LIMIT = 4.0  # masks cover [-LIMIT, LIMIT]² of frame coordinates (well beyond the extrapolated borders)
TILES = int(LIMIT * PPU) // TILE  # tile indices run over [-TILES, TILES) on both axes

LayerRange = tuple[int, int] | None  # style layers [first, stop) a mask drives; None = all layers
LayerKey = tuple[int, LayerRange]  # (anchor index, layer range): one mask per key
TileIndex = tuple[int, int]  # (row, column) of a tile; tile (ty, tx) starts at mask pixel (ty * TILE, tx * TILE)
Tiles = dict[TileIndex, FrozenArray]

_ONES = FrozenArray(np.ones((TILE, TILE), np.float32))  # shared by filled tiles: a fill costs no memory


def tile_extent(t0: TileIndex, t1: TileIndex) -> tuple[float, float, float, float]:
    """Frame-coordinate extent (x0, y0, x1, y1) of the tiles from t0 (inclusive) to t1 (exclusive)."""
    s = TILE / PPU
    return t0[1] * s, t0[0] * s, t1[1] * s, t1[0] * s


def all_tiles() -> list[TileIndex]:
    return [(ty, tx) for ty in range(-TILES, TILES) for tx in range(-TILES, TILES)]


@dataclass(frozen=True)
class MaskLayer:
    """One painted weight map (values in [0, 1]): which anchor it paints, on which style layers, where.

    Attributes
    ----------
    anchor : index of the anchor this mask paints.
    layers : style-layer range [first, stop) it drives, or None for all layers.
    tiles : the non-empty tiles, sorted by index (tiles not listed are 0).
    """

    anchor: int
    layers: LayerRange = None
    tiles: tuple[tuple[TileIndex, FrozenArray], ...] = ()

    @property
    def key(self) -> LayerKey:
        return self.anchor, self.layers

    def tile_map(self) -> Tiles:
        return dict(self.tiles)


def _layer(anchor: int, layers: LayerRange, tiles: Tiles) -> MaskLayer:
    return MaskLayer(anchor, layers, tuple(sorted(tiles.items())))


@dataclass(frozen=True)
class Painting:
    """All painted masks; frozen, so it lives in the ViewState and undo simply restores an older one.

    Unchanged tiles are shared between versions, so an undo step costs only the tiles a stroke touched.
    Per pixel the engine normalises over-painting, so the anchors' weights and the base style (the mixing
    table or the blend sliders) form a partition of unity.
    """

    layers: tuple[MaskLayer, ...] = ()
    _cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def __bool__(self) -> bool:
        return any(layer.tiles for layer in self.layers)

    def layer(self, key: LayerKey) -> MaskLayer | None:
        return next((m for m in self.layers if m.key == key), None)

    def keys(self) -> list[LayerKey]:
        return [m.key for m in self.layers]

    def replaced(self, edits: dict[LayerKey, Tiles]) -> Painting:
        """A painting whose masks named in ``edits`` get these tiles (empty masks are dropped)."""
        out = [(_layer(*m.key, edits[m.key]) if m.key in edits else m) for m in self.layers]
        out += [_layer(*key, tiles) for key, tiles in edits.items() if self.layer(key) is None]
        return Painting(tuple(m for m in out if m.tiles))

    def without_anchor(self, index: int) -> Painting:
        """Drop the masks of anchor ``index`` and renumber the later anchors' masks (anchor removed)."""
        kept = [m for m in self.layers if m.anchor != index]
        return Painting(tuple(MaskLayer(m.anchor - (m.anchor > index), m.layers, m.tiles) for m in kept))

    def spec_fields(self, num_anchors: int) -> dict[str, Any]:
        """StyleSpec fields (masks, mask_extent, mask_anchors, mask_layers) for ``num_anchors`` anchors.

        The masks are cropped to the painted tiles (zero outside, so sampling is unchanged); one full-layer
        mask per anchor gives the plain [K, Hm, Wm] form, other paintings route masks explicitly.
        """
        if num_anchors in self._cache:
            return dict(self._cache[num_anchors])
        active = [m for m in self.layers if m.anchor < num_anchors and m.tiles]
        fields: dict[str, Any] = {}
        if active:
            index = [t for m in active for t, _ in m.tiles]
            t0 = (min(t[0] for t in index), min(t[1] for t in index))
            t1 = (max(t[0] for t in index) + 1, max(t[1] for t in index) + 1)
            plain = all(m.layers is None for m in active) and len({m.anchor for m in active}) == len(active)
            rows = num_anchors if plain else len(active)
            masks = np.zeros((rows, (t1[0] - t0[0]) * TILE, (t1[1] - t0[1]) * TILE), np.float32)
            for i, m in enumerate(active):
                row = masks[m.anchor if plain else i]
                for (ty, tx), tile in m.tiles:
                    y, x = (ty - t0[0]) * TILE, (tx - t0[1]) * TILE
                    row[y:y + TILE, x:x + TILE] = tile.array
            fields = {"masks": FrozenArray(masks), "mask_extent": tile_extent(t0, t1)}
            if not plain:
                fields |= {"mask_anchors": tuple(m.anchor for m in active),
                           "mask_layers": tuple(m.layers for m in active)}
        self._cache[num_anchors] = fields
        return dict(fields)


# ---------------------------------------------------------------------- whole-mask edits (the mask tools)
def same_range(p: Painting, key: LayerKey) -> list[LayerKey]:
    """The masks that share ``key``'s layer range: painting one anchor there covers the others."""
    return [m.key for m in p.layers if m.layers == key[1] and m.key != key]


def filled(p: Painting, key: LayerKey) -> Painting:
    """The whole mask area painted with this anchor (the other anchors' masks on these layers cleared)."""
    edits: dict[LayerKey, Tiles] = {k: {} for k in same_range(p, key)}
    edits[key] = dict.fromkeys(all_tiles(), _ONES)
    return p.replaced(edits)


def inverted(p: Painting, key: LayerKey) -> Painting:
    """This anchor's mask becomes 1 - mask over the whole mask area."""
    layer = p.layer(key)
    old = layer.tile_map() if layer else {}
    tiles: Tiles = {}
    for t in all_tiles():
        if t not in old:
            tiles[t] = _ONES
        else:
            inv = 1.0 - old[t].array
            if inv.any():
                tiles[t] = FrozenArray(inv)
    return p.replaced({key: tiles})


def cleared(p: Painting, key: LayerKey | None = None) -> Painting:
    """Without this mask (or without any mask when ``key`` is None)."""
    return Painting() if key is None else p.replaced({key: {}})


def with_raster(p: Painting, key: LayerKey, raster: np.ndarray, extent: tuple[float, float, float, float]) -> Painting:
    """This anchor's mask replaced by ``raster`` [h, w] in [0, 1] covering ``extent`` of frame coordinates.

    The raster is resampled onto the mask grid (pixel centres at the grid's pixel centres).
    """
    import cv2  # imported here: the app's other modules need no OpenCV

    x0, y0, x1, y1 = extent
    j0, i0 = max(math.floor(x0 * PPU), -TILES * TILE), max(math.floor(y0 * PPU), -TILES * TILE)
    j1, i1 = min(math.ceil(x1 * PPU), TILES * TILE), min(math.ceil(y1 * PPU), TILES * TILE)
    if j1 <= j0 or i1 <= i0:
        return p.replaced({key: {}})
    h, w = raster.shape
    # mask pixel (i, j) centre -> source pixel coordinates (centres at +0.5)
    mx = ((np.arange(j0, j1) + 0.5) / PPU - x0) / (x1 - x0) * w - 0.5
    my = ((np.arange(i0, i1) + 0.5) / PPU - y0) / (y1 - y0) * h - 0.5
    src = np.ascontiguousarray(raster, np.float32)
    if w > 2 * (j1 - j0) or h > 2 * (i1 - i0):  # shrinking a lot: average first, then sample (no aliasing)
        src = np.asarray(cv2.resize(src, (j1 - j0, i1 - i0), interpolation=cv2.INTER_AREA), np.float32)
        mx = (mx + 0.5) * (j1 - j0) / w - 0.5
        my = (my + 0.5) * (i1 - i0) / h - 0.5
    mapx, mapy = np.meshgrid(mx.astype(np.float32), my.astype(np.float32))
    dense = cv2.remap(src, mapx, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cx, cy = np.meshgrid((np.arange(j0, j1) + 0.5) / PPU, (np.arange(i0, i1) + 0.5) / PPU)
    dense = np.where((cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1), np.clip(dense, 0.0, 1.0), 0.0)
    tiles: Tiles = {}
    for ty in range(i0 // TILE, -(-i1 // TILE)):
        for tx in range(j0 // TILE, -(-j1 // TILE)):
            tile = np.zeros((TILE, TILE), np.float32)
            ya, xa = max(ty * TILE, i0), max(tx * TILE, j0)
            yb, xb = min((ty + 1) * TILE, i1), min((tx + 1) * TILE, j1)
            tile[ya - ty * TILE:yb - ty * TILE, xa - tx * TILE:xb - tx * TILE] = dense[ya - i0:yb - i0, xa - j0:xb - j0]
            if tile.any():
                tiles[(ty, tx)] = _ONES if (tile == 1.0).all() else FrozenArray(tile)
    return p.replaced({key: tiles})


def raster_of(p: Painting, key: LayerKey) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """(mask [h, w], extent) over the training frame joined with the painted tiles (for export)."""
    layer = p.layer(key)
    tiles = layer.tile_map() if layer else {}
    frame = PPU // TILE  # the training frame spans tiles [-frame, frame)
    t0 = (min([-frame, *(t[0] for t in tiles)]), min([-frame, *(t[1] for t in tiles)]))
    t1 = (max([frame - 1, *(t[0] for t in tiles)]) + 1, max([frame - 1, *(t[1] for t in tiles)]) + 1)
    out = np.zeros(((t1[0] - t0[0]) * TILE, (t1[1] - t0[1]) * TILE), np.float32)
    for (ty, tx), tile in tiles.items():
        y, x = (ty - t0[0]) * TILE, (tx - t0[1]) * TILE
        out[y:y + TILE, x:x + TILE] = tile.array
    return out, tile_extent(t0, t1)


# ---------------------------------------------------------------------- JSON (sessions and PNG recipes)
_ENCODED: dict[str, str] = {}  # tile digest -> its JSON text: autosaves re-encode only new tiles


def _encode(tile: FrozenArray) -> str:
    text = _ENCODED.get(tile.digest)
    if text is None:
        if len(_ENCODED) > 8192:
            _ENCODED.clear()
        raw = np.ascontiguousarray(tile.array, "<f4").tobytes()
        text = _ENCODED[tile.digest] = base64.b64encode(zlib.compress(raw, 6)).decode("ascii")
    return text


def _decode(text: str) -> FrozenArray:
    raw = zlib.decompress(base64.b64decode(text, validate=True))
    a = np.frombuffer(raw, "<f4")
    if a.size != TILE * TILE or not np.isfinite(a).all():
        raise ValueError("a mask tile is damaged or holds NaN")
    return _ONES if (a == 1.0).all() else FrozenArray(np.clip(a.reshape(TILE, TILE), 0.0, 1.0))


def painting_to_json(p: Painting) -> dict[str, Any] | None:
    if not p:
        return None
    return {"ppu": PPU, "tile": TILE, "layers": [
        {"anchor": m.anchor, "layers": None if m.layers is None else list(m.layers),
         "tiles": [[t[0], t[1], _encode(a)] for t, a in m.tiles]} for m in p.layers if m.tiles]}


def painting_from_json(d: Any) -> Painting:
    """Read a painting written by `painting_to_json`; ValueError when it is damaged or of another grid."""
    if d is None:
        return Painting()
    if not isinstance(d, dict) or d.get("ppu") != PPU or d.get("tile") != TILE:
        raise ValueError("the painted masks use an unknown mask grid")
    edits: dict[LayerKey, Tiles] = {}
    for m in d.get("layers", []):
        rng = m.get("layers")
        layers = None if rng is None else (int(rng[0]), int(rng[1]))
        if layers is not None and not 0 <= layers[0] < layers[1]:
            raise ValueError(f"bad layer range {rng}")
        tiles = {(int(ty), int(tx)): _decode(data) for ty, tx, data in m.get("tiles", [])}
        if any(not (-TILES <= t[0] < TILES and -TILES <= t[1] < TILES) for t in tiles):
            raise ValueError("a mask tile lies outside the mask area")
        edits[(int(m["anchor"]), layers)] = tiles
    return Painting().replaced(edits)
