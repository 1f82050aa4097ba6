"""Analysis subcommands reproduce the engine's numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli import run_cli
from engine import load_generator
from engine.analysis import embedding_pca, radial_profile, spectrum
from engine.styles import z_from_seed


def test_spectrum_csv_matches_engine(fixtures: Path, tmp_path: Path) -> None:
    ckpt = fixtures / "cips" / "cips_skip_32.pt"
    assert run_cli(["spectrum", str(ckpt), "--seeds", "2", "--out", str(tmp_path / "s")]) == 0
    with open(tmp_path / "s.csv") as f:
        rows = list(csv.reader(f))[1:]
    g = load_generator(str(ckpt))
    imgs = g.synthesis(g.mapping(np.stack([z_from_seed(s, g.z_dim) for s in range(2)])))
    _, prof = radial_profile(np.mean([spectrum(i) for i in imgs], axis=0))
    assert np.allclose([float(r[1]) for r in rows], prof, rtol=1e-4)  # grids differ by 1 ulp
    assert Image.open(tmp_path / "s.png").size == (32, 32)


def test_pca_png_matches_engine(fixtures: Path, tmp_path: Path) -> None:
    ckpt = fixtures / "cips" / "cips_res_64.pt"
    assert run_cli(["pca", str(ckpt), "--out", str(tmp_path / "p")]) == 0
    png = np.array(Image.open(tmp_path / "p_emb_input.png"))
    ref = embedding_pca(load_generator(str(ckpt)).coordinate_embeddings()["emb.input"].numpy()).rgb
    assert png.shape == (64, 64, 3) and np.abs(png / 255.0 - ref).max() <= 1 / 255 + 1e-9


def test_consistency_table(fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = fixtures / "cips" / "cips_skip_32.pt"
    assert run_cli(["consistency", str(ckpt), "--seeds", "1", "--scales", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "PSNR" in lines[0] and lines[1].split()[0] == "2"
