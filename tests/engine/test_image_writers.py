"""Streaming writers: tiled, deflate-compressed TIFF (8 / 16 bit, BigTIFF past 4 GB, optional pyramid) through
tifffile, and PNG with a real row filter; rows in any band sizes read back equal, recipe included."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from engine.image_writers import RECIPE_KEY, PngWriter, TiffWriter, pyramid_shapes


def _write(path: Path, image: np.ndarray, band: int = 10, **kw: object) -> TiffWriter:
    h, w, _ = image.shape
    writer = TiffWriter(path, w, h, {RECIPE_KEY: json.dumps({"seed": 3})}, **kw)  # type: ignore[arg-type]
    with writer:
        for y0 in range(0, h, band):
            writer.write_rows(image[y0:y0 + band])
    return writer


def _landscape(h: int, w: int, dtype: type = np.uint8) -> np.ndarray:
    """Smooth gradients with a little noise: compressible, like rendered images."""
    y, x = np.mgrid[0:h, 0:w]
    top = np.iinfo(dtype).max
    img = np.stack([x / w, y / h, (x + y) / (w + h)], axis=-1) * top * 0.9
    img += np.random.default_rng(0).normal(0, top / 400, img.shape)
    return np.clip(img, 0, top).astype(dtype)


@pytest.mark.parametrize(("bits", "dtype"), [(8, np.uint8), (16, np.uint16)])
def test_tiff_is_tiled_compressed_and_reads_back_with_the_recipe(tmp_path: Path, bits: int, dtype: type) -> None:
    image = _landscape(300, 517, dtype)  # not a multiple of the tile: edge tiles are padded
    _write(tmp_path / "a.tif", image, band=7, bits=bits)
    with tifffile.TiffFile(tmp_path / "a.tif") as tif:
        page = tif.pages[0]
        assert page.is_tiled and (page.tilelength, page.tilewidth) == (256, 256)
        assert page.compression == tifffile.COMPRESSION.ADOBE_DEFLATE and page.dtype == dtype
        assert not tif.is_bigtiff
        assert np.array_equal(page.asarray(), image)
        assert json.loads(page.description) == {"seed": 3}
    assert (tmp_path / "a.tif").stat().st_size < (0.5 if bits == 8 else 0.85) * image.nbytes  # noisy low bits
    with Image.open(tmp_path / "a.tif") as im:  # an ordinary reader opens it too
        assert im.size == (517, 300)
        if bits == 8:
            assert np.array_equal(np.asarray(im), image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tif"]


def test_tiff_past_the_classic_limit_becomes_bigtiff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = _landscape(16, 16)
    monkeypatch.setattr(TiffWriter, "CLASSIC_MAX_BYTES", 16 * 16 * 3 - 1)
    assert _write(tmp_path / "big.tif", image).big
    with tifffile.TiffFile(tmp_path / "big.tif") as tif:
        assert tif.is_bigtiff and np.array_equal(tif.asarray(), image)
    monkeypatch.setattr(TiffWriter, "CLASSIC_MAX_BYTES", 16 * 16 * 3)
    assert not _write(tmp_path / "small.tif", image).big


def test_pyramid_levels_are_2x2_means_as_subifds(tmp_path: Path) -> None:
    image = _landscape(601, 1100)
    _write(tmp_path / "p.tif", image, band=33, pyramid=True)
    assert pyramid_shapes(1100, 601, 256) == [(550, 301), (275, 151), (138, 76)]
    with tifffile.TiffFile(tmp_path / "p.tif") as tif:
        assert len(tif.pages) == 1
        series = tif.series[0]
        assert [lv.shape for lv in series.levels] == [(601, 1100, 3), (301, 550, 3), (151, 275, 3), (76, 138, 3)]
        assert np.array_equal(series.levels[0].asarray(), image)
        ref = image.astype(np.float64)
        for level in series.levels[1:]:
            ref = np.pad(ref, ((0, ref.shape[0] & 1), (0, ref.shape[1] & 1), (0, 0)), mode="edge")
            ref = (ref[0::2, 0::2] + ref[1::2, 0::2] + ref[0::2, 1::2] + ref[1::2, 1::2]) / 4
            assert np.abs(level.asarray().astype(np.float64) - ref).max() <= 1.0  # each level rounds once
            ref = level.asarray().astype(np.float64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.tif"]  # the levels' scratch file is gone


def test_aborted_or_incomplete_tiff_leaves_nothing(tmp_path: Path) -> None:
    image = _landscape(300, 300)
    w = TiffWriter(tmp_path / "x.tif", 300, 300, pyramid=True)
    w.write_rows(image[:260])
    w.abort()
    w = TiffWriter(tmp_path / "y.tif", 300, 300)
    w.write_rows(image[:100])
    with pytest.raises(ValueError, match="incomplete"):
        w.close()
    assert list(tmp_path.iterdir()) == []


def test_png_rows_are_filtered_and_read_back(tmp_path: Path) -> None:
    image = _landscape(200, 333)
    for bits, img in ((8, image), (16, _landscape(200, 333, np.uint16))):
        path = tmp_path / f"i{bits}.png"
        with PngWriter(path, 333, 200, {RECIPE_KEY: "{}"}, bits=bits) as w:
            for y0 in range(0, 200, 13):
                w.write_rows(img[y0:y0 + 13])
        with Image.open(path) as im:
            got = np.asarray(im) if bits == 8 else None
        if bits == 8:
            assert np.array_equal(got, img)
        else:
            import cv2

            assert np.array_equal(cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., ::-1], img)
    # the filter earns its keep: smaller than the same rows stored unfiltered at the same zlib level
    raw = np.concatenate([np.zeros((200, 1), np.uint8), image.reshape(200, -1)], axis=1).tobytes()
    assert (tmp_path / "i8.png").stat().st_size < 0.8 * len(zlib.compress(raw, 6))
