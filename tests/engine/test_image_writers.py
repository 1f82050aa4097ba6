"""Streaming TIFF writer: classic and BigTIFF files read back equal, recipe included; the switch is by size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.image_writers import RECIPE_KEY, TiffWriter


def _write(path: Path, image: np.ndarray, **kw: object) -> TiffWriter:
    h, w, _ = image.shape
    writer = TiffWriter(path, w, h, {RECIPE_KEY: json.dumps({"seed": 3})}, **kw)  # type: ignore[arg-type]
    with writer:
        writer.write_rows(image[:10])
        writer.write_rows(image[10:])
    return writer


@pytest.mark.parametrize("big", [False, True])
def test_tiff_reads_back_with_the_recipe(tmp_path: Path, big: bool) -> None:
    image = np.random.default_rng(1).integers(0, 256, (23, 41, 3), dtype=np.uint8)
    _write(tmp_path / "a.tif", image, big=big)
    head = (tmp_path / "a.tif").read_bytes()[:4]
    assert head == (b"II+\0" if big else b"II*\0")
    with Image.open(tmp_path / "a.tif") as im:
        assert np.array_equal(np.asarray(im), image)
        assert json.loads(im.tag_v2[270]) == {"seed": 3}


def test_tiff_past_the_classic_limit_becomes_bigtiff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = np.zeros((16, 16, 3), np.uint8)
    monkeypatch.setattr(TiffWriter, "CLASSIC_MAX_BYTES", 16 * 16 * 3 - 1)
    assert _write(tmp_path / "big.tif", image).big
    monkeypatch.setattr(TiffWriter, "CLASSIC_MAX_BYTES", 16 * 16 * 3)
    assert not _write(tmp_path / "small.tif", image).big
