"""Painted masks: brush strokes, compositing, the engine fields they give, mask tools, files and JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.state import mask_io
from app.state import masks as mk
from app.state.brush import Brush, Stroke, profile
from app.state.view_state import ViewState
from engine.coords import camera_grid
from engine.styles import resolve_style, sample_masks
from engine.types import Anchor, Camera

ANCHORS = (Anchor(seed=0), Anchor(seed=3), Anchor(seed=8))


def dense(p: mk.Painting, key: mk.LayerKey) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    return mk.raster_of(p, key)


def value_at(p: mk.Painting, key: mk.LayerKey, x: float, y: float) -> float:
    """The mask at frame point (x, y), read through the engine's own sampling."""
    raster, extent = dense(p, key)
    return float(sample_masks(raster[None], extent, np.array([[[x, y]]], np.float32))[0, 0, 0])


def stroke(p: mk.Painting, anchor: int, points: list[tuple[float, float]], **brush: float | bool) -> mk.Painting:
    s = Stroke(p, anchor, None, Brush(**{"radius": 0.1, "hardness": 0.5, **brush}))  # type: ignore[arg-type]
    for x, y in points:
        p = s.to(x, y)
    return p


def test_profile_is_hard_inside_and_feathered_to_the_rim() -> None:
    d = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 41.0])
    w = profile(d, 40.0, 0.5)
    assert w[0] == w[1] == w[2] == 1.0 and 0.0 < w[3] < 1.0 and w[4] == w[5] == 0.0
    assert np.all(np.diff(profile(np.linspace(0, 40, 50), 40.0, 0.0)) <= 0)  # soft brush: monotone
    assert set(np.unique(profile(np.array([5.0, 39.0, 40.0]), 40.0, 1.0))) <= {0.0, 1.0}  # hard: 1 px edge


def test_stroke_paints_a_capsule_with_opacity_that_never_builds_up() -> None:
    p = stroke(mk.Painting(), 1, [(-0.5, 0.0), (0.5, 0.0), (-0.5, 0.0)], opacity=0.6)  # crosses itself
    key = (1, None)
    assert value_at(p, key, 0.0, 0.0) == pytest.approx(0.6, abs=1e-6)
    assert value_at(p, key, -0.5, 0.02) == pytest.approx(0.6, abs=1e-6)
    assert value_at(p, key, 0.0, 0.3) == 0.0 and value_at(p, key, 0.9, 0.0) == 0.0
    feather = value_at(p, key, 0.0, 0.085)  # between the hard core (0.05) and the rim (0.1)
    assert 0.0 < feather < 0.6
    p2 = stroke(p, 1, [(0.0, 0.0)], opacity=0.5)  # a second stroke builds up: 0.6 + 0.5 * 0.4
    assert value_at(p2, key, 0.0, 0.0) == pytest.approx(0.8, abs=1e-6)
    assert p.layer(key) is not None and len(p.layer(key).tiles) == 8  # type: ignore[union-attr]  # 2 x 4 touched tiles only


def test_painting_another_anchor_covers_and_eraser_removes() -> None:
    p = stroke(mk.Painting(), 1, [(0.0, 0.0)], radius=0.3)
    p = stroke(p, 2, [(0.1, 0.0)], radius=0.1, opacity=0.75)
    a, b = value_at(p, (1, None), 0.1, 0.0), value_at(p, (2, None), 0.1, 0.0)
    assert (a, b) == (pytest.approx(0.25), pytest.approx(0.75))  # "over": weights never sum past 1
    assert value_at(p, (1, None), -0.1, 0.0) == pytest.approx(1.0)  # in the first stroke's hard core only
    erased = stroke(p, 2, [(0.1, 0.0)], radius=0.2, erase=True)
    assert value_at(erased, (2, None), 0.1, 0.0) == 0.0 and value_at(erased, (1, None), 0.1, 0.0) == pytest.approx(0.25)
    assert not stroke(mk.Painting(), 1, [(0, 0)], erase=True)  # erasing nothing paints nothing


def test_spec_fields_render_like_the_dense_masks_and_stay_in_frame_coordinates() -> None:
    """The cropped tiles give the engine exactly the weights of full-size masks over [-LIMIT, LIMIT]²."""
    p = stroke(mk.Painting(), 1, [(-0.3, -0.2), (0.4, 0.1)], radius=0.15)
    p = stroke(p, 2, [(0.5, 0.5)], radius=0.2)
    fields = p.spec_fields(3)
    assert set(fields) == {"masks", "mask_extent"} and fields["masks"].shape[0] == 3
    assert fields["masks"].shape[1] < 2 * mk.TILES * mk.TILE  # cropped to the painted tiles
    full = np.zeros((3, 2 * mk.TILES * mk.TILE, 2 * mk.TILES * mk.TILE), np.float32)
    for m in p.layers:
        for (ty, tx), tile in m.tiles:
            y, x = (ty + mk.TILES) * mk.TILE, (tx + mk.TILES) * mk.TILE
            full[m.anchor, y:y + mk.TILE, x:x + mk.TILE] = tile.array
    grid = camera_grid(Camera(center=(0.1, 0.2), zoom=1.7, rotation=20.0), 48, 40)
    got = sample_masks(fields["masks"].array, fields["mask_extent"], grid)
    want = sample_masks(full, (-mk.LIMIT, -mk.LIMIT, mk.LIMIT, mk.LIMIT), grid)
    assert np.abs(got - want).max() < 1e-5 and want.max() > 0.99
    assert p.spec_fields(2)["masks"].shape[0] == 2  # anchor 3's mask is ignored with two anchors
    assert mk.Painting().spec_fields(3) == {}


def test_layer_ranges_route_masks_and_state_builds_the_style() -> None:
    s = Stroke(mk.Painting(), 1, (0, 4), Brush(radius=0.2))
    p = s.to(0.0, 0.0)
    p = stroke(p, 2, [(0.5, 0.0)])
    state = ViewState(anchors=ANCHORS, weights=(1.0, 0.0, 0.0), painting=p)
    spec = state.style()
    assert spec.mask_anchors == (1, 2) and spec.mask_layers == ((0, 4), None) and spec.masks is not None

    class G:  # enough of a generator for the style seam
        num_ws, z_dim, w_dim = 6, 4, 4

        def mapping(self, z: np.ndarray, psi: float = 1.0, cutoff: int | None = None) -> np.ndarray:
            return np.zeros((len(z), 6, 4), np.float32)

    _, weights = resolve_style(G(), spec, np.array([[[0.0, 0.0], [0.5, 0.0]]], np.float32))  # type: ignore[arg-type]
    assert weights is not None and weights.shape == (6, 1, 2, 4)
    assert np.allclose(weights[:4, 0, 0], [0, 0, 1, 0]) and np.allclose(weights[4:, 0, 0], [1, 0, 0, 0])
    assert np.allclose(weights[:, 0, 1], [0, 0, 0, 1])


def test_mask_tools_and_anchor_removal() -> None:
    p = stroke(mk.Painting(), 1, [(0.0, 0.0)])
    filled = mk.filled(p, (2, None))
    assert filled.layer((1, None)) is None and value_at(filled, (2, None), 3.9, -3.9) == 1.0
    inv = mk.inverted(p, (1, None))
    assert value_at(inv, (1, None), 0.0, 0.0) == 0.0 and value_at(inv, (1, None), 0.5, 0.5) == 1.0
    assert np.abs(mk.raster_of(mk.inverted(inv, (1, None)), (1, None))[0] - mk.raster_of(p, (1, None))[0]).max() < 1e-6
    assert not mk.cleared(p, (1, None)) and not mk.cleared(filled)
    both = stroke(p, 2, [(0.5, 0.5)])
    dropped = both.without_anchor(1)
    assert dropped.keys() == [(1, None)] and dropped.layer((1, None)).tiles == both.layer((2, None)).tiles  # type: ignore[union-attr]
    s = ViewState(anchors=ANCHORS, weights=(1.0, 0.0, 0.5), layer_table=((1.0, 0.0, 0.0),) * 3, painting=both)
    r = s.without_anchor(1)
    assert r.anchors == (ANCHORS[0], ANCHORS[2]) and r.layer_table == ((1.0, 0.0),) * 3 and r.painting == dropped


def test_json_round_trip_and_damage() -> None:
    p = stroke(mk.filled(mk.Painting(), (1, (0, 3))), 2, [(0.2, 0.2)], opacity=0.3)
    doc = mk.painting_to_json(p)
    assert mk.painting_from_json(doc) == p and mk.painting_to_json(mk.Painting()) is None
    assert mk.painting_from_json(None) == mk.Painting()
    bad = dict(doc, ppu=99)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grid"):
        mk.painting_from_json(bad)


def _save(path: Path, array: np.ndarray, mode: str | None = None) -> str:
    Image.fromarray(array, mode).save(path) if mode else Image.fromarray(array).save(path)
    return str(path)


def test_import_converts_any_image_with_notes(tmp_path: Path) -> None:
    grey = np.tile(np.linspace(0, 255, 40).astype(np.uint8), (30, 1))
    m = mask_io.read_mask_image(_save(tmp_path / "g.png", grey))
    assert m.notes == [] and m.raster.shape == (30, 40) and m.raster.max() == 1.0 and m.extent == mask_io.FRAME
    sixteen = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    m16 = mask_io.read_mask_image(_save(tmp_path / "s.png", sixteen))
    assert m16.notes == [] and np.array_equal(m16.raster, sixteen / np.float32(65535))  # no 8-bit loss
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 255
    assert "grey" in mask_io.read_mask_image(_save(tmp_path / "c.png", rgb)).notes[0]
    rgba = np.full((8, 8, 4), 255, np.uint8)
    rgba[:4, ..., 3] = 0
    ma = mask_io.read_mask_image(_save(tmp_path / "a.png", rgba))
    assert "transparency" in ma.notes[0] and ma.raster[:4].max() == 0.0 and ma.raster[4:].min() == 1.0
    nan = np.full((4, 4), np.nan, np.float32)
    with pytest.raises(ValueError, match="NaN"):
        mask_io.read_mask_image(_save(tmp_path / "n.tif", nan, "F"))
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="not an image"):
        mask_io.read_mask_image(str(tmp_path / "x.png"))


def test_import_resamples_onto_the_frame_and_export_round_trips(tmp_path: Path) -> None:
    half = np.zeros((10, 30), np.uint8)  # any size: stretched over the training frame
    half[:, 15:] = 255
    m = mask_io.read_mask_image(_save(tmp_path / "h.png", half))
    p = mk.with_raster(mk.Painting(), (1, None), m.raster, m.extent)
    assert value_at(p, (1, None), 0.5, -0.9) == 1.0 and value_at(p, (1, None), -0.5, 0.9) == 0.0
    assert value_at(p, (1, None), 1.5, 0.0) == 0.0  # outside the frame stays unpainted
    raster, extent = mk.raster_of(p, (1, None))
    out = str(tmp_path / "mask.png")
    mask_io.write_mask_png(out, raster, extent)
    back = mask_io.read_mask_image(out)
    assert back.extent == extent and back.notes == []
    again = mk.with_raster(mk.Painting(), (1, None), back.raster, back.extent)
    assert np.abs(mk.raster_of(again, (1, None))[0] - raster).max() <= 1 / 65535 + 1e-7


def test_overlay_colours_each_anchor(tmp_path: Path) -> None:
    p = stroke(mk.Painting(), 0, [(-0.5, 0.0)], radius=0.1, hardness=1.0)
    p = stroke(p, 1, [(0.5, 0.0)], radius=0.1, hardness=1.0)
    cache: dict[object, np.ndarray] = {}
    rgba, extent = mask_io.overlay(p, 2, [(255, 0, 0), (0, 0, 255)], cache)  # type: ignore[misc]
    def at(x: float, y: float) -> np.ndarray:
        return rgba[int((y - extent[1]) * mk.PPU), int((x - extent[0]) * mk.PPU)]
    assert tuple(at(-0.5, 0.0)) == (255, 0, 0, 102) and tuple(at(0.5, 0.0)) == (0, 0, 255, 102)
    assert at(0.0, 0.0)[3] == 0 and cache
    assert mask_io.overlay(mk.Painting(), 2, [(0, 0, 0)], cache) is None
